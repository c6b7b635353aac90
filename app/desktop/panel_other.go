//go:build !linux && !windows

package desktop

import "github.com/sluice-app/sluice/assets"

// systemPanel: macOS tints template images itself, so the choice only
// matters for the fallback colour image; other systems are assumed dark.
func systemPanel() assets.Panel { return assets.DarkPanel }
