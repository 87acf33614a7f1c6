/* A small program that opens no TCP socket (a UDP one, and a file): what most processes in a
 * host-wide preload look like. The exec tax is measured on it and on /bin/true. */
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    int file = open("/dev/null", O_RDONLY);
    close(file);
    close(udp);
    return 0;
}
