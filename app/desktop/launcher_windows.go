package desktop

import "os"

// terminate closes a window process. Windows has no signal a console-less
// child could catch, so it is ended at once.
func terminate(p *os.Process) { p.Kill() }
