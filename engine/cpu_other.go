//go:build !linux

package engine

import "errors"

var errNoAffinity = errors.New("thread affinity is only supported on Linux")

// AllowedCPUs is not supported outside Linux.
func AllowedCPUs() ([]int, error) { return nil, errNoAffinity }

func pinThread(int) error { return errNoAffinity }
