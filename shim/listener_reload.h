// Bookkeeping for deciding listeners again when the policy is reloaded. A listener's options are
// what the connections it accepts inherit, so an edit reaches a server's next connections only when
// its listeners are set anew; connections the kernel made before that (queued, or being accepted
// meanwhile) still hold the old values and are set one by one. Lock-free, nothing but memory reads
// on an accept while the policy is unchanged.
#pragma once
#include <cstdint>

namespace tcpkeep::shim {

// What an accept saw before the real call: which policy the listeners held, and the generation of
// re-decisions (odd while one is under way).
struct ListenerEpoch {
    std::uint32_t generation = 0;
    const void* policy = nullptr;
};
ListenerEpoch listener_epoch();

// The policy the listeners hold is not `current` (a reload happened): they must be decided again.
bool listeners_outdated(const void* current);

// A listener was decided with `policy` outside a re-decision (listen, or the first accept on an
// inherited listener), `before` read before the policy was. False when a re-decision ran meanwhile
// and may have missed it: decide it again.
bool note_listener_decided(const ListenerEpoch& before, const void* policy);

// Only one thread re-decides at a time: begin returns the policy the listeners held, or false when
// another thread is at it or has just finished (then nothing to do). end publishes `current`.
bool begin_redecision(const void* current, const void*& previous);
void end_redecision(const void* current);

// An accepted socket may hold its listener's values from before a re-decision that overlapped its
// accept, or from before the policy it would be decided with now.
bool accept_overlapped_redecision(const ListenerEpoch& before, const void* current);

// Per listener fd: the connections queued when it was set anew (they were made with the old values),
// and the options to put back to the kernel's defaults on them (the shim set them before, not now).
void expect_outdated_connections(int listener, std::uint32_t queued, std::uint8_t restore);
// One accepted connection of `listener` counted: true, with the options to put back in `restore`.
bool take_outdated_connection(int listener, std::uint8_t& restore);
void forget_outdated_connections(int listener);  // the fd is closed: its number may be reused

}  // namespace tcpkeep::shim
