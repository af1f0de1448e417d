#!/usr/bin/env node
// Validates Kubernetes manifests against the API schemas (kubernetes-models), not only as YAML:
// each document by its apiVersion and kind. Prints `file: Kind/name: error` per problem; exit 1 on any.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';

const root = join(import.meta.dirname, '..');
const dir = join(root, 'deploy/k8s');
const files = process.argv.slice(2).length ? process.argv.slice(2) : readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(dir, f));
let problems = 0;
let checked = 0;
for (const file of files) {
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const where = relative(process.cwd(), file);
    if (doc.errors.length) {
      problems++;
      console.log(`${where}: ${doc.errors[0].message}`);
      continue;
    }
    const manifest = doc.toJS();
    if (!manifest) continue;
    const { apiVersion, kind } = manifest;
    const name = `${kind}/${manifest.metadata?.name ?? '?'}`;
    let Model;
    try {
      Model = (await import(`kubernetes-models/${apiVersion}`))[kind];
    } catch {
      Model = undefined;
    }
    if (!Model) {
      problems++;
      console.log(`${where}: ${name}: no Kubernetes API schema for apiVersion ${apiVersion}, kind ${kind}`);
      continue;
    }
    try {
      new Model(manifest).validate();
      checked++;
    } catch (error) {
      problems++;
      console.log(`${where}: ${name}: ${error.message}`);
    }
  }
}
console.log(`kubernetes manifests: ${checked} valid, ${problems} problem(s)`);
process.exit(problems ? 1 : 0);
