// A Go client linked with cgo (so dynamically, and the shim loads into it) whose connection Go's
// runtime makes with its own system calls. Usage: go_client HOST:PORT. Prints "ready 0" once
// connected, then holds the connection until stdin closes.
package main

// #include <stdlib.h>
import "C"

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
	fmt.Println("ready 0")
	io.Copy(io.Discard, os.Stdin)
	C.free(nil)
}
