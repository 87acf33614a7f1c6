// A Go client built with CGO_ENABLED=0: statically linked, its connection made by Go's runtime
// with its own system calls, and Go's own keepalive set after connecting (15 s idle and interval
// by default). Usage: go_static_client HOST:PORT. Prints "ready" once connected, then holds the
// connection until stdin closes.
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
