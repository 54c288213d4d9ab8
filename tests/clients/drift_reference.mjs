// An Apollo-style upload (see apollo_upload.mjs) of a drift reference CSV, with Node's fetch.
// Usage: node drift_reference.mjs CONFIG_JSON
//   CONFIG_JSON: {http, token, versionId, path}
// Prints {status, multipart, answer} as JSON.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { uploadBody, uploadHeaders } from './apollo_upload.mjs';

const config = JSON.parse(process.argv[2] ?? '{}');

const REFERENCE = `mutation Reference($input: UploadDriftReferenceInput!) {
  uploadDriftReference(input: $input) {
    __typename
    ... on DriftProfileSuccess { profile { source rows features { name kind count } } }
    ... on ReferenceRejectedError { reason message }
  }
}`;

const bytes = await readFile(config.path);
const file = new File([bytes], basename(config.path), { type: 'text/csv' });
const body = uploadBody({
  operationName: 'Reference',
  query: REFERENCE,
  variables: { input: { versionId: config.versionId, file } },
});
const response = await fetch(config.http, {
  method: 'POST',
  headers: uploadHeaders(config.token),
  body,
});
console.log(
  JSON.stringify({
    status: response.status,
    multipart: body instanceof FormData,
    answer: await response.json(),
  }),
);
