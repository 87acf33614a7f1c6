// The tests' Go client. Built with CGO_ENABLED=1 it is dynamically linked (the net package's
// resolver uses cgo), so the shim loads into it; with CGO_ENABLED=0 it is static, and nothing reads
// LD_PRELOAD. Either way Go's runtime makes the connection with its own system calls and sets its
// own keepalive after connecting (15 s idle and interval by default). Usage: go_client HOST:PORT.
// Prints "ready" once connected, then holds the connection until stdin closes.
package main

import (
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	conn, err := net.Dial("tcp", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer conn.Close()
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
}
