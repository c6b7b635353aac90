// Package sieve lets the mail server do two of Sluice's jobs while the
// laptop sleeps: hold mail at delivery (a Sieve script files what Sluice
// would hold into the hold folder, so no phone ever sees it in INBOX) and
// answer senders (a Sieve vacation auto-reply during vacations and, if the
// user wants, off-hours). It has three parts:
//
//   - Client, a ManageSieve (RFC 5804) client: verified STARTTLS (with the
//     account's CA file, as the IMAP connection), SASL login (PLAIN, or the
//     IMAP connector's XOAUTH2/OAUTHBEARER clients, which are go-sasl
//     clients), every command, literals both ways, NO and BYE in words.
//     Every command takes a context that bounds it.
//   - Manager, which installs Sluice's own scripts ("sluice" including
//     "sluice-hold" and "sluice-vacation") and never overwrites,
//     deactivates or deletes a script the user has.
//   - HoldScript and VacationScript, pure functions from plain values (the
//     rules, the schedule's times) to script text.
//
// # Using it
//
// A caller (the gate's mode changes, through the IMAP connector) connects,
// writes the scripts it wants and applies them:
//
//	c, err := sieve.Dial(ctx, sieve.Options{Host: host, CAFile: caFile})
//	// err: no ManageSieve here (connection refused, no STARTTLS): use IMAP.
//	defer c.Logout(ctx)
//	err = c.Login(ctx, user, password) // or c.Authenticate(ctx, oauthClient)
//	exts := c.Capabilities().Sieve
//
//	hold, err := sieve.HoldScript(sieve.HoldSpec{
//		Account: "Work mail", Folder: "Sluice/Held", Keyword: sieve.HeldKeyword,
//		Until: nextCheckin, Rules: rules, VIPs: vips, UrgentKeywords: keywords,
//		Extensions: exts,
//	})
//	// err ErrNothingHeld / ErrMissingExtension: say why and use IMAP.
//	reply, err := sieve.VacationScript(sieve.VacationSpec{Text: text, Zone: zone,
//		Vacations: periods, OffHours: offHours, Work: week, Now: now, Extensions: exts})
//
//	res, err := sieve.NewManager(c, log).Apply(ctx, sieve.Desired{Hold: hold.Script, Vacation: reply.Script})
//
// Apply with an empty Desired (or Remove) takes Sluice's scripts off; the
// hold script is switched off that way when the gate stops holding, and
// its Until makes it stop by itself at the next check-in in case the
// laptop sleeps through it.
//
// # When the server path is not taken
//
// Each of these leaves the server as it was and tells the caller, in
// words it can show, why it should use the IMAP path instead:
//
//   - Dial or Login fails: the server has no ManageSieve, or refuses.
//   - *IncludeError (ErrIncludeNeeded): the user has an active script of
//     their own that does not include Sluice's. Its Error names the script
//     and the two lines to add (IncludeLines).
//   - ErrNameTaken: a script called "sluice", "sluice-hold" or
//     "sluice-vacation" exists that Sluice did not write.
//   - ErrNothingHeld: some urgent rule cannot be checked at delivery
//     (e.g. "mentions me" for every account), so holding anything could
//     hold urgent mail.
//   - ErrMissingExtension: the server's Sieve lacks fileinto (hold) or
//     vacation, date or relational (auto-reply).
//   - An *Error from CHECKSCRIPT or PUTSCRIPT: the server refused a
//     script (quota, a compile error), with its response code in words.
//
// Mail held at delivery carries the keyword HeldKeyword ("$SluiceHeld")
// when HoldSpec.Keyword is set: every Sluice on the account can tell that
// the server, not another Sluice, put it in the hold folder.
//
// # Known limits
//
// A keyword split by inline HTML markup ("<b>URG</b>ENT") reads "URGENT"
// to Sluice but not to Pigeonhole, whose HTML-to-text conversion breaks
// the word: such mail is held where Sluice would let it through.
package sieve
