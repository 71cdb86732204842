// `npm start`: the twin runs the control plane's workflows against a simulated AWS (issue #3).
console.log(
  'The twin is not built yet: `npm start` will run the workflows against a simulated AWS once it lands.',
);
console.log(
  'Meanwhile: `npm test` checks the foundation; `npm run synth` synthesizes the example deployment.',
);
