"""The GraphQL documents the client sends (see the server's schema.graphql)."""

# What each typed error of a union carries beyond its message (only members of the union may
# be spread, so each document names its own).
_EXTRA = {
    "ValidationError": "fields { path message code }",
    "ModelRejectedError": "reason",
    "ReferenceRejectedError": "reason",
    "PayloadTooLargeError": "limitBytes",
}


def errors(*members: str) -> str:
    spreads = " ".join(f"... on {m} {{ {_EXTRA[m]} }}" for m in members)
    return f"__typename ... on Error {{ message }} {spreads}"


VERSION_FIELDS = """
id number status estimatorClass sourceFormat servingFormat runtime description createdAt
signature { nFeaturesIn featureNames classes task columns { name type nullable } }
"""

MODEL_FIELDS = f"""
id name fullName description
aliases {{ name version {{ number }} }}
versions(first: 100) {{ edges {{ node {{ {VERSION_FIELDS} }} }} }}
"""

JOB_FIELDS = """
id status modelId versionId filename rowsDone rowsFailed progress error createdAt finishedAt
rowErrors { line code message }
"""

KEY_FIELDS = "id name prefix scopes createdAt expiresAt lastUsedAt revokedAt isActive"

LOGIN = f"""
mutation Login($email: String!, $password: String!) {{
  login(input: {{email: $email, password: $password}}) {{
    {errors("ValidationError")}
    ... on AuthPayload {{ accessToken refreshToken user {{ email username }} }}
  }}
}}"""

REGISTER = f"""
mutation Register($email: String!, $password: String!) {{
  register(input: {{email: $email, password: $password}}) {{
    {errors("ValidationError")}
    ... on RegisterSuccess {{ email }}
  }}
}}"""

REFRESH = """
mutation Refresh($refreshToken: String!) {
  refreshToken(refreshToken: $refreshToken) { accessToken refreshToken user { email username } }
}"""

LOGOUT = "mutation Logout { logout { ok } }"

ME = "query Me { me { id email username role } }"

MODELS = f"""
query Models($search: String, $owner: String) {{
  models(first: 100, filter: {{nameContains: $search, owner: $owner}}) {{
    edges {{ node {{ {MODEL_FIELDS} }} }}
  }}
}}"""

MODEL = f"""
query Model($owner: String!, $name: String!) {{
  model(owner: $owner, name: $name) {{ {MODEL_FIELDS} }}
}}"""

CREATE_MODEL = f"""
mutation CreateModel($name: String!, $description: String!) {{
  createModel(input: {{name: $name, description: $description}}) {{
    {errors("ValidationError")}
    ... on ModelSuccess {{ model {{ {MODEL_FIELDS} }} }}
  }}
}}"""

UPLOAD = f"""
mutation Upload($input: UploadModelVersionInput!) {{
  uploadModelVersion(input: $input) {{
    {errors("ValidationError", "ModelRejectedError", "PayloadTooLargeError")}
    ... on UploadModelVersionSuccess {{ deduplicated version {{ {VERSION_FIELDS} }} }}
  }}
}}"""

SET_ALIAS = f"""
mutation SetAlias($input: SetAliasInput!) {{
  setAlias(input: $input) {{
    {errors("ValidationError")}
    ... on SetAliasSuccess {{ alias {{ name version {{ id number }} }} }}
  }}
}}"""

PREDICT = """
query Predict($model: String!, $rows: FeatureMatrix, $records: [JSON!]) {
  predict(model: $model, rows: $rows, records: $records) {
    requestId latencyMs runtime version { number }
    predictions { value probabilities { label probability } }
  }
}"""

PREDICT_BATCH = """
query PredictBatch($model: String!, $rows: FeatureMatrix, $records: [JSON!]) {
  predictBatch(model: $model, rows: $rows, records: $records) {
    requestId latencyMs runtime version { number } rows predictions probabilities classes
  }
}"""

CREATE_JOB = f"""
mutation CreateBatchJob($input: CreateBatchJobInput!) {{
  createBatchJob(input: $input) {{
    {errors("ValidationError", "PayloadTooLargeError")}
    ... on JobSuccess {{ job {{ {JOB_FIELDS} }} }}
  }}
}}"""

JOB = f"query Job($id: ID!) {{ job(id: $id) {{ {JOB_FIELDS} }} }}"

JOB_PROGRESS = """
subscription JobProgress($id: ID!) {
  jobProgress(id: $id) {
    jobId status rowsDone rowsFailed progress rowsPerSecond etaSeconds error
  }
}"""

PREDICTIONS = """
subscription Predictions($model: String!) {
  predictions(model: $model) {
    requestId status errorCode rows latencyMs versionNumber inputs outputs shadow at
  }
}"""

CREATE_KEY = f"""
mutation CreateApiKey($input: CreateApiKeyInput!) {{
  createApiKey(input: $input) {{
    {errors("ValidationError")}
    ... on CreateApiKeySuccess {{ secret key {{ {KEY_FIELDS} }} }}
  }}
}}"""

KEYS = f"""
query ApiKeys($includeRevoked: Boolean!) {{
  apiKeys(includeRevoked: $includeRevoked) {{ {KEY_FIELDS} }}
}}"""

REVOKE_KEY = f"""
mutation RevokeApiKey($id: ID!) {{
  revokeApiKey(id: $id) {{
    {errors()}
    ... on RevokeApiKeySuccess {{ key {{ {KEY_FIELDS} }} }}
  }}
}}"""

DRIFT_REFERENCE = f"""
mutation UploadDriftReference($input: UploadDriftReferenceInput!) {{
  uploadDriftReference(input: $input) {{
    {errors("ValidationError", "ReferenceRejectedError", "PayloadTooLargeError")}
    ... on DriftProfileSuccess {{ profile {{ rows source }} }}
  }}
}}"""
