package pebble_test

import (
	"testing"

	"github.com/credo-org/credo/storetest"
)

func TestConsumersConformance(t *testing.T) { storetest.RunConsumers(t, backend()) }
