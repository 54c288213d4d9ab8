// graphql-http's server audits (the GraphQL-over-HTTP spec's conformance checks) against a
// live server. Usage: node audit.mjs http://127.0.0.1:PORT/graphql
// Prints [{id, name, status, reason}] as JSON; the pytest wrapper decides what must pass.
import { serverAudits } from 'graphql-http';

const [url] = process.argv.slice(2);
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}

const results = [];
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  results.push({
    id: result.id,
    name: result.name,
    status: result.status,
    reason: result.status === 'ok' ? null : result.reason,
  });
}
console.log(JSON.stringify(results, null, 2));
