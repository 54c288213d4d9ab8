// An Apollo-style upload: the GraphQL multipart request built exactly as apollo-upload-client
// builds it (extract-files, then operations/map/files in a FormData), sent with Node's fetch.
// Usage: node multipart_upload.mjs CONFIG_JSON
//   CONFIG_JSON: {http, token, modelId, model, path, rows}
// Uploads the file at `path` as a new version of the model, then predicts `rows` with it.
// Prints {status, upload, predict} as JSON.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { uploadBody, uploadHeaders } from './apollo_upload.mjs';

const config = JSON.parse(process.argv[2] ?? '{}');

const UPLOAD = `mutation Upload($input: UploadModelVersionInput!) {
  uploadModelVersion(input: $input) {
    __typename
    ... on UploadModelVersionSuccess {
      version { id number status sourceFormat originalFilename signature { nFeaturesIn } }
    }
    ... on ModelRejectedError { reason message }
  }
}`;
const PREDICT = `query Predict($model: String!, $rows: FeatureMatrix!) {
  predict(model: $model, rows: $rows) { predictions { value } version { id number } }
}`;

const headers = uploadHeaders(config.token);

const bytes = await readFile(config.path);
const file = new File([bytes], basename(config.path), { type: 'application/octet-stream' });
const body = uploadBody({
  operationName: 'Upload',
  query: UPLOAD,
  variables: { input: { modelId: config.modelId, file, description: 'uploaded by fetch' } },
});
const uploaded = await fetch(config.http, { method: 'POST', headers, body });
const upload = await uploaded.json();

const predicted = await fetch(config.http, {
  method: 'POST',
  headers: { ...headers, 'content-type': 'application/json' },
  body: JSON.stringify({
    operationName: 'Predict',
    query: PREDICT,
    variables: { model: config.model, rows: config.rows },
  }),
});
console.log(
  JSON.stringify({
    status: uploaded.status,
    multipart: body instanceof FormData,
    upload,
    predict: await predicted.json(),
  }),
);
