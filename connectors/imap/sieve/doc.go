// Package sieve manages server-side Sieve for the IMAP connector: a
// ManageSieve (RFC 5804) client, a Manager that installs Sluice's own
// scripts without ever touching the user's, and the generators of those
// scripts (hold at delivery, vacation auto-reply).
package sieve
