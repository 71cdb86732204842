// Runs dynalite (a DynamoDB-compatible server with real conditional writes) in its own process, so its
// timers stay real while the twin's process runs on virtual time. Reports its port over IPC; exits with
// its parent.
const dynalite = require('dynalite');

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: server.address().port });
});
process.on('disconnect', () => server.close(() => process.exit(0)));
