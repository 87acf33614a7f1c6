// A C++ program with its own libstdc++ and libfmt (shared) and exceptions in flight: the shim must
// not clash with either. Connects to 127.0.0.1:PORT and prints its socket's options.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdexcept>
#include <string>

int main(int argc, char** argv) {
    try {
        if (argc < 2) throw std::runtime_error("usage: cxx_fmt_client PORT");
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(static_cast<unsigned short>(std::stoi(argv[1])));
        inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
        const int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) throw std::runtime_error("connect failed");
        auto get = [fd](int level, int name) {
            int v = -1;
            socklen_t len = sizeof v;
            getsockopt(fd, level, name, &v, &len);
            return v;
        };
        fmt::print("ka={} idle={} interval={} count={} user_timeout={}\n", get(SOL_SOCKET, SO_KEEPALIVE), get(IPPROTO_TCP, TCP_KEEPIDLE),
                   get(IPPROTO_TCP, TCP_KEEPINTVL), get(IPPROTO_TCP, TCP_KEEPCNT), get(IPPROTO_TCP, TCP_USER_TIMEOUT));
        throw std::logic_error("caught below: exceptions still work under the shim");
    } catch (const std::logic_error& e) {
        fmt::print("{}\n", e.what());
        return 0;
    } catch (const std::exception& e) {
        fmt::print(stderr, "{}\n", e.what());
        return 1;
    }
}
