/** The configuration `skiff serve` uses without a file: a local registry for trying things out. */
export const defaultConfigText = `version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: ./data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:5000
`;
