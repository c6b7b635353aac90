package store

import "syscall"

// dropPages tells the kernel the process no longer needs the pages of its
// map of the store in [addr, addr+length): they leave its resident set and
// stay in the page cache, from where the next read maps them again. bbolt
// maps the file read-only and shared and writes with pwrite, so no data
// is in the map alone.
func dropPages(addr, length uintptr) error {
	if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, addr, length, syscall.MADV_DONTNEED); e != 0 {
		return e
	}
	return nil
}
