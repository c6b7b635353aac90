package secrets

import (
	"context"
	"os/exec"
	"syscall"
)

// shellCommand runs command through cmd.exe, handing it the command line
// as the user wrote it: Go's usual quoting of arguments (backslash before
// each double quote) is not what cmd.exe reads, so a quoted program path
// such as "C:\Program Files\Bitwarden\bw.exe" get … would break. /S makes
// cmd strip exactly the outer quotes added here.
func shellCommand(ctx context.Context, command string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "cmd.exe")
	cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: `cmd.exe /d /s /c "` + command + `"`}
	return cmd
}
