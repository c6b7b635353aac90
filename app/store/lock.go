package store

import (
	"os"
	"time"
)

// lockPoll is how often waitLock retries, as bbolt's own flock does.
const lockPoll = 50 * time.Millisecond

// waitLock takes the file lock, retrying for up to timeout while another
// process holds it, and reports whether it got it. This polls an OS lock,
// as bbolt itself does on Open; it is no schedule logic, so it sleeps
// rather than taking a clock.
func waitLock(f *os.File, exclusive bool, timeout time.Duration) (bool, error) {
	for tries := int(timeout / lockPoll); ; tries-- {
		ok, err := tryLock(f, exclusive)
		if ok || err != nil || tries <= 0 {
			return ok, err
		}
		time.Sleep(lockPoll)
	}
}
