package dnd

import (
	"context"
	"encoding/binary"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// DetectSystem finds the desktop's do-not-disturb: on Windows, Focus
// Assist ("Do not disturb" on Windows 11). Windows has no public
// interface to switch it, so Sluice only reads it, through the shell's
// WNF state, and says what the user can do.
func DetectSystem(context.Context, Settings) (Backend, error) {
	return &focusAssist{}, nil
}

var (
	ntdll            = windows.NewLazySystemDLL("ntdll.dll")
	procQueryWnfData = ntdll.NewProc("NtQueryWnfStateData")
)

// wnfQuietHours is WNF_SHEL_QUIETHOURS_ACTIVE_PROFILE_CHANGED: the active
// Focus Assist profile (0 off, 1 priority only, 2 alarms only).
const wnfQuietHours uint64 = 0x0D83063EA3BF1C75

// readFocusAssist returns the Focus Assist profile.
func readFocusAssist() (uint32, error) {
	if err := procQueryWnfData.Find(); err != nil {
		return 0, err
	}
	name := wnfQuietHours
	var stamp uint32
	var buf [4]byte
	size := uint32(len(buf))
	r, _, _ := procQueryWnfData.Call(uintptr(unsafe.Pointer(&name)), 0, 0,
		uintptr(unsafe.Pointer(&stamp)), uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&size)))
	if r != 0 {
		return 0, fmt.Errorf("NtQueryWnfStateData: status %#x", r)
	}
	return binary.LittleEndian.Uint32(buf[:]), nil
}

type focusAssist struct{}

func (f *focusAssist) Name() string   { return "Windows Focus Assist" }
func (f *focusAssist) Server() string { return "" }

func (f *focusAssist) Quiet(context.Context) (bool, error) {
	p, err := readFocusAssist()
	return p != 0, err
}

func (f *focusAssist) SetQuiet(context.Context, bool) error { return ErrCannotSet }

func (f *focusAssist) Traits() Traits {
	word := "Sluice cannot tell whether it is on"
	if p, err := readFocusAssist(); err == nil {
		switch p {
		case 0:
			word = "off"
		case 1:
			word = "on (priority only)"
		case 2:
			word = "on (alarms only)"
		}
	}
	return Traits{
		Word:   word + "; Windows lets no program switch it",
		Urgent: "With Focus Assist on “Priority only”, add Sluice to the priority list so its urgent notifications get through.",
		Advice: "Windows has no public way for a program to switch Focus Assist (Do not disturb). Turn it on yourself for a " +
			"focus block, or set its automatic rules (“During these times”) to your focus blocks, and add Sluice to the priority list.",
	}
}
