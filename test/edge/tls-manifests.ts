import { CA_CERT, RSA_CERT, RSA_KEY_PKCS1 } from '../support/tls-fixtures';

const indent = (pem: string) => pem.trimEnd().split('\n').map((l) => `      ${l}`).join('\n');

/** A kubernetes.io/tls Secret holding the test certificate and key (and the CA unless told not to). */
export const SECRET_YAML = (name: string, ns = 'shop', ca = true) => `
apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata: {name: ${name}, namespace: ${ns}, labels: {team: payments}}
stringData:
  tls.crt: |
${indent(RSA_CERT)}
  tls.key: |
${indent(RSA_KEY_PKCS1)}
${ca ? `  ca.crt: |\n${indent(CA_CERT)}\n` : ''}`;

/** A host reached with mutual TLS whose client certificate and CA come from the Secret `credential`. */
export const MUTUAL_DR = (credential: string, ns = 'shop') => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: bank, namespace: ${ns}}
spec:
  hosts: [bank.${ns}.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 443, name: tls, protocol: TLS}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bank, namespace: ${ns}}
spec:
  host: bank.${ns}.example.com
  trafficPolicy:
    tls: {mode: MUTUAL, credentialName: ${credential}}
`;
