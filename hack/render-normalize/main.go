// Command render-normalize reads `crossplane render` output on stdin and
// writes it with the render engine's own Result documents in a stable order.
//
// The render engine reports "Composed resource X is not yet ready" while
// ranging over a map, so their order changes from run to run. Everything
// else is left byte for byte, so the golden files stay what the CLI printed.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "render-normalize:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) error {
	b, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	docs := strings.Split(string(b), "---\n")
	var objects, results []string
	for _, d := range docs {
		if strings.TrimSpace(d) == "" {
			continue
		}
		if strings.Contains(d, "\nkind: Result\n") && strings.HasPrefix(d, "apiVersion: render.crossplane.io/") {
			results = append(results, d)
			continue
		}
		objects = append(objects, d)
	}
	sort.Strings(results)
	w := bufio.NewWriter(out)
	for _, d := range append(objects, results...) {
		if _, err := w.WriteString("---\n" + d); err != nil {
			return err
		}
	}
	return w.Flush()
}
