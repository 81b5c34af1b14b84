// Package asynclog owns the asynclog spool: mcrouter's "reliable delete
// stream" (mcrouter-behaviour.md §8). A delete that a PoolRoute could not
// deliver (a failover error) is appended to a file under the spool
// directory, in mcrouter's format and layout, and the client is answered
// NOT_FOUND only once the record is on disk; `mcroute replay`
// (package asynclog/replay) later sends the deletes to their servers.
//
// # Types
//
//   - Format: the record format (v1 "AS1.0" or v2 "AS2.0") and the names a
//     record carries. AppendRecord encodes one record; ParseRecord reads
//     one back (both versions).
//   - Spool: the writer. One goroutine per process owns the open file; the
//     event loops hand it Entries with Append, which never blocks (a full
//     queue or a closed spool refuses the entry). The writer takes every
//     entry waiting, writes them in one write(2), fsyncs the file and then
//     acknowledges each entry (Acker.Acked, on the writer goroutine; the
//     caller posts the result back to its loop).
//   - DirName, FileName, ParseFileName: mcrouter's directory and file names.
//
// # Files
//
// <dir>/<YYYYMMDD>T<HH>-<unix hour start>/<YYYYMMDD>T<HHMMSS>-<unix
// now>-<service>-<router>-t<pid>-0x<seq>, local time, directories 0777,
// files 0666, appended to; a file is rotated (a new one opened) at the
// first write 15 minutes after it was opened. While the writer has a file
// open it holds an exclusive flock(2) on it; when it is done with a file
// (rotation, Close) it makes the file read-only (0444) and unlocks it, so
// the replayer knows the file is complete without waiting for its age.
//
// # What it must not do
//
// It never runs on an event loop: Append is a non-blocking channel send,
// and all file I/O happens on the writer goroutine. It does not route and
// does not talk to servers.
package asynclog
