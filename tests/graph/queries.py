"""GraphQL documents shared by several test modules."""

CREATE_MODEL = """
mutation Create($name: String!, $tags: [String!]! = []) {
  createModel(input: {name: $name, tags: $tags}) {
    __typename
    ... on ModelSuccess { model { id name fullName myAccess owner { username } } }
    ... on ValidationError { fields { path code } }
    ... on ModelNameTakenError { message }
  }
}"""

UPLOAD = """
mutation Upload($input: UploadModelVersionInput!) {
  uploadModelVersion(input: $input) {
    __typename
    ... on UploadModelVersionSuccess {
      deduplicated
      version {
        id number status sourceFormat servingFormat safeFormat framework sha256 size
        originalFilename warnings
        signature { nFeaturesIn featureNames classes hasPredictProba task }
        createdBy { username }
      }
    }
    ... on ModelRejectedError { reason message }
    ... on PayloadTooLargeError { limitBytes }
    ... on ValidationError { fields { path code } }
    ... on IdempotencyKeyReusedError { message }
    ... on NotFoundError { message }
    ... on ForbiddenError { message }
  }
}"""

SET_ALIAS = """
mutation SetAlias($model: ID!, $alias: String!, $version: ID!, $reason: String! = "") {
  setAlias(input: {modelId: $model, alias: $alias, versionId: $version, reason: $reason}) {
    __typename
    ... on SetAliasSuccess { alias { name version { number } } }
    ... on VersionNotReadyError { status }
    ... on NotFoundError { message }
    ... on ValidationError { fields { code } }
  }
}"""

MODEL = """
query Model($id: ID!) {
  model(id: $id) {
    name myAccess
    versions(first: 10) { edges { node { number status } } pageInfo { hasNextPage } }
    aliases { name version { number } }
    aliasHistory { alias reason fromVersion { number } toVersion { number } actor { username } }
  }
}"""

SHARE = """
mutation Share($model: ID!, $user: String!, $level: ShareLevel!) {
  shareModel(input: {modelId: $model, username: $user, level: $level}) {
    __typename
    ... on ShareSuccess { share { level user { username } } }
    ... on NotFoundError { message }
  }
}"""

UNSHARE = """
mutation Unshare($model: ID!, $user: String!) {
  unshareModel(input: {modelId: $model, username: $user}) {
    __typename
    ... on DoneSuccess { changed }
  }
}"""
