// Package policies carries the shipped policy packs, so that the credo
// binary has them wherever it runs: rongcheng, national, enterprise
// (jurisdiction rongcheng_enterprise) and xiamen.
package policies

import (
	"embed"
	"io/fs"
	"strings"

	"github.com/credo-org/credo/policy"
)

//go:embed *.yaml
var files embed.FS

// Names lists the shipped packs by file name without ".yaml", sorted.
func Names() []string {
	ents, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			out = append(out, n)
		}
	}
	return out
}

// Read returns the YAML of the shipped pack name ("rongcheng") and its
// path for diagnostics ("policies/rongcheng.yaml").
func Read(name string) (path string, data []byte, err error) {
	path = name + ".yaml"
	data, err = files.ReadFile(path)
	return "policies/" + path, data, err
}

// Programs compiles every shipped pack, in Names' order.
func Programs() ([]*policy.Program, error) {
	var out []*policy.Program
	for _, n := range Names() {
		path, data, err := Read(n)
		if err != nil {
			return nil, err
		}
		p, err := policy.Load(path, data)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
