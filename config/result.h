// Result<T>: what an operation that can fail returns — its value, or an Error saying why not.
//
// How tcpkeep reports failure (config/, system/, tools/; the shim in shim/ is C-like and returns
// plain values as the calls it wraps do). These five shapes and no others:
//  1. Result<T> (Result<void> when there is no value): an operation whose caller must decide what a
//     failure means. The Error is a sentence for people, written without the subject the caller
//     names ("cannot open policy: No such file or directory"), and the errno behind it when a
//     system call failed. A check ("is this file trusted?") is a Result<void> whose error says
//     why not. Result<T, E> with a richer E only where the caller branches on more than the
//     message (PolicyOpenError::untrusted). No out-parameters, no bool + out-parameter, no ""
//     or std::optional<std::string> meaning failure, no errno left behind for the caller to read.
//  2. PolicyLoad: a policy's text is judged, not just accepted or refused: read_policy and
//     load_policy return the Policy when nothing is wrong and every Diagnostic either way (a
//     warning does not stop a policy). A Diagnostic says what it is about (Diagnostic::Kind): a
//     place in the text (FILE:LINE:COL, for the policy's author), the file as a whole (an I/O
//     problem), or running out of memory.
//  3. std::optional: "absent, and the caller needs no reason": a lookup that found nothing, a
//     parse of the kernel's own text that did not match, a cache that does not apply, a fast
//     parser declining a text the full one will read. A default in place of a value that could
//     not be read only where the function's comment says so (a sysctl keeps the kernel's default).
//  4. Exceptions only where the command line turns them into an exit status: TargetError
//     (tools/inspection/target_error.h), "this process cannot be inspected", thrown from deep in
//     the /proc readers and reported by verify, apply and audit with exit status 2; and CLI11's
//     parse errors. What the shim's engine links (config/, system/) throws nothing out of its
//     entry points: they are noexcept and report running out of memory as a Diagnostic.
//  5. A command's exit status (tools/exit_status.h): 0 ok, 1 findings, 2 an error, returned by
//     each subcommand to main().
#pragma once
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace tcpkeep {

struct Error {
    std::string message;
    int code = 0;  // the errno of the system call that failed; 0 when no system call did
};

// The system call that just failed, as an Error: errno's text and errno.
inline Error system_error() {
    const int error = errno;
    return Error{std::strerror(error), error};
}

// The value, or the error. Reading value() of a failed Result (or error() of a successful one) is
// a bug in the caller and throws std::bad_variant_access.
template <typename T, typename E = Error>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit, like std::expected
    Result(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

    [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    [[nodiscard]] T& value() & { return std::get<0>(v_); }
    [[nodiscard]] const T& value() const& { return std::get<0>(v_); }
    [[nodiscard]] T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    template <typename U>
    [[nodiscard]] T value_or(U&& fallback) const& {
        return ok() ? value() : static_cast<T>(std::forward<U>(fallback));
    }

    [[nodiscard]] const E& error() const& { return std::get<1>(v_); }
    [[nodiscard]] E&& error() && { return std::get<1>(std::move(v_)); }

private:
    std::variant<T, E> v_;
};

template <typename E>
class [[nodiscard]] Result<void, E> {
public:
    Result() = default;
    Result(E error) : error_(std::move(error)) {}  // NOLINT

    [[nodiscard]] bool ok() const noexcept { return !error_.has_value(); }
    explicit operator bool() const noexcept { return ok(); }

    [[nodiscard]] const E& error() const& { return error_.value(); }
    [[nodiscard]] E&& error() && { return std::move(error_).value(); }

private:
    std::optional<E> error_;
};

}  // namespace tcpkeep
