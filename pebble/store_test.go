package pebble_test

import (
	"testing"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/pebble"
	"github.com/credo-org/credo/storetest"
)

func backend() storetest.Backend {
	return storetest.Backend{
		New: func(t *testing.T) credo.Store {
			s, err := pebble.Open(t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		Reopen: func(t *testing.T, s credo.Store) credo.Store {
			dir := s.(*pebble.Store).Dir()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s2, err := pebble.Open(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			return s2
		},
	}
}

func TestConformance(t *testing.T) { storetest.Run(t, backend()) }
