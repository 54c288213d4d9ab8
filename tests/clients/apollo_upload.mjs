// The GraphQL multipart request built exactly as apollo-upload-client builds it: extract-files,
// then operations/map/files in a FormData, with the header its users set for CSRF guards.
import extractFiles from 'extract-files/extractFiles.mjs';
import isExtractableFile from 'extract-files/isExtractableFile.mjs';

export function uploadHeaders(token) {
  return {
    authorization: `Bearer ${token}`,
    // What apollo-upload-client users set so the server's CSRF guard lets a form post through.
    'Apollo-Require-Preflight': 'true',
  };
}

// apollo-upload-client's createUploadLink body, for one operation.
export function uploadBody(operation) {
  const { clone, files } = extractFiles(operation, isExtractableFile, '');
  const payload = JSON.stringify(clone);
  if (files.size === 0) return payload;
  const form = new FormData();
  form.append('operations', payload);
  const map = {};
  let i = 0;
  files.forEach((paths) => {
    map[++i] = paths;
  });
  form.append('map', JSON.stringify(map));
  i = 0;
  files.forEach((paths, file) => {
    form.append(`${++i}`, file, file.name);
  });
  return form;
}
