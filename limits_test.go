package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMemoryLimit(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	limited := write("limited", "134217728\n")
	cases := map[string]struct {
		gomemlimit, file string
		want             int64
		source           string
	}{
		"A container limit of 128 MiB":   {file: limited, want: 107374182, source: limited},
		"GOMEMLIMIT set: the runtime's":  {gomemlimit: "64MiB", file: limited, want: 0, source: "GOMEMLIMIT"},
		"No container limit (max)":       {file: write("unlimited", "max\n")},
		"No cgroup v2 file":              {file: filepath.Join(dir, "absent")},
		"Something else in the file":     {file: write("garbage", "lots\n")},
		"A zero limit is not a limit":    {file: write("zero", "0\n")},
		"A limit without a newline read": {file: write("bare", "1000"), want: 800, source: filepath.Join(dir, "bare")},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, source := memoryLimit(tc.gomemlimit, tc.file)
			if got != tc.want || source != tc.source {
				t.Errorf("memoryLimit(%q, %q): got %d from %q, want %d from %q", tc.gomemlimit, tc.file, got, source, tc.want, tc.source)
			}
		})
	}
}
