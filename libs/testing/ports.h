#pragma once

namespace mesh::testing {

// Returns a TCP port on 127.0.0.1 that was free at the time of the call: it
// binds a socket to port 0, reads the port the kernel chose and closes it.
// A port is never returned twice by one process, so two servers started by
// one test cannot race for the same port; another process may still take it
// in the meantime. Aborts if no socket can be bound (a broken test host).
// Thread-safe.
int FreePort();

}  // namespace mesh::testing
