package pebble_test

import (
	"testing"

	"github.com/credo-org/credo/storetest"
)

func TestResolutionsConformance(t *testing.T) { storetest.RunResolutions(t, backend()) }

func TestReviewsConformance(t *testing.T) { storetest.RunReviews(t, backend()) }
