#!/usr/bin/env node
// Validates FHIR resources against the profiles they declare (meta.profile), with HL7 mCODE STU4's
// StructureDefinitions (npm hl7.fhir.us.mcode 4.0.0: snapshots that carry US Core 6.1.0 and R4 core).
//
//   node validate.js <mcode package dir> <file.json>...   (a Bundle or one resource per file)
//   → stdout: JSON {"issues": [{file, resource, profile, severity, location, message, source}]}
//
// Three checks, each named in `source`:
//   fhir.js     FHIR.js (npm `fhir`, lantanagroup): the instance against the profile's snapshot parsed
//               by FHIR.js — element names (unknown element → error), data types, cardinality of the
//               unsliced elements, required bindings to the value sets it has (R4 core + mCODE's own).
//   fhirpath    fhirpath.js (npm `fhirpath`, HL7 FHIRPath, R4 model): every invariant of the snapshot
//               (severity error → error, warning → warning), on every node of its element path.
//   profile     patterns and fixed values of the snapshot, and the cardinality of slices whose
//               discriminator is a value/pattern (extension url, category, component code): what
//               FHIR.js leaves out. Small, this project's own (see docs/fhir.md).
// Not checked: terminology beyond the value sets shipped here (SNOMED CT, LOINC, RxNorm membership of
// extensible/preferred bindings), reference resolution and target profiles, slices discriminated by
// type or profile, extension definitions outside the package (their url only is checked).
'use strict';

// Libraries log (fhirpath's trace(), FHIR.js's unplaced elements): stdout is for the answer only.
console.log = (...args) => process.stderr.write(args.join(' ') + '\n');

const fs = require('fs');
const path = require('path');
const { ParseConformance, Validator } = require('fhir');
const fhirpath = require('fhirpath');
const r4model = require('fhirpath/fhir-context/r4');

const [packageDir, ...files] = process.argv.slice(2);
if (!packageDir || files.length === 0) {
  process.stderr.write('usage: validate.js <mcode package dir> <file.json>...\n');
  process.exit(2);
}

// ------------------------------------------------------------------ the package's definitions
const byUrl = new Map();
const valueSets = [];
for (const name of fs.readdirSync(packageDir)) {
  if (!name.endsWith('.json') || name === 'package.json' || name.startsWith('.')) continue;
  const res = JSON.parse(fs.readFileSync(path.join(packageDir, name), 'utf8'));
  if (res.resourceType === 'StructureDefinition') byUrl.set(res.url, res);
  if (res.resourceType === 'ValueSet') valueSets.push(res);
}
const parser = new ParseConformance(true); // FHIR.js's parsed R4 core types and value sets
for (const vs of valueSets) parser.parsedValueSets[vs.url] = parser.parseValueSet(vs);
const parsedProfiles = new Map();

// FHIR.js compares a reference's resource type with the last segment of the target profile's URL:
// a profile URL (us-core-patient) is mapped to the type it constrains first; one it cannot place
// (outside the package and this table) is dropped, so that reference is not type-checked.
const US_CORE_TYPES = [
  [/^us-core-patient$/, 'Patient'], [/^us-core-practitioner$/, 'Practitioner'],
  [/^us-core-practitionerrole$/, 'PractitionerRole'], [/^us-core-organization$/, 'Organization'],
  [/^us-core-encounter$/, 'Encounter'], [/^us-core-location$/, 'Location'],
  [/^us-core-relatedperson$/, 'RelatedPerson'], [/^us-core-condition/, 'Condition'],
  [/^us-core-procedure$/, 'Procedure'], [/^us-core-medication$/, 'Medication'],
  [/^us-core-medicationrequest$/, 'MedicationRequest'], [/^us-core-specimen$/, 'Specimen'],
  [/^us-core-diagnosticreport/, 'DiagnosticReport'], [/^us-core-documentreference$/, 'DocumentReference'],
  [/^us-core-careteam$/, 'CareTeam'], [/^us-core-implantable-device$/, 'Device'],
  [/^us-core-(observation|.*-lab$|vital-signs|body-|bmi|blood-pressure|heart-rate|smokingstatus)/, 'Observation'],
];
function targetType(url) {
  if (url.startsWith('http://hl7.org/fhir/StructureDefinition/')) return url;
  const sd = byUrl.get(url);
  const name = url.slice(url.lastIndexOf('/') + 1);
  const hit = sd ? sd.type : (US_CORE_TYPES.find(([re]) => re.test(name)) || [])[1];
  return hit ? `http://hl7.org/fhir/StructureDefinition/${hit}` : null;
}

function parsedProfile(sd) {
  if (!parsedProfiles.has(sd.url)) {
    const copy = JSON.parse(JSON.stringify(sd));
    for (const element of copy.snapshot.element) {
      for (const t of asArray(element.type)) {
        if (t.targetProfile) {
          const mapped = asArray(t.targetProfile).map(targetType);
          if (mapped.some(u => u === null)) delete t.targetProfile;
          else t.targetProfile = [...new Set(mapped)];
        }
      }
    }
    parsedProfiles.set(sd.url, parser.parseStructureDefinition(copy));
  }
  return parsedProfiles.get(sd.url);
}

// ------------------------------------------------------------------ helpers
function asArray(v) {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
}

// Nodes of the instance at an element path of the snapshot ("Condition.code.coding"), choice types
// "value[x]" expanded; slices are handled by the caller.
function nodesAt(resource, elementPath) {
  const parts = elementPath.split('.').slice(1);
  let nodes = [resource];
  for (const part of parts) {
    const next = [];
    for (const node of nodes) {
      if (node === null || typeof node !== 'object') continue;
      if (part.endsWith('[x]')) {
        const stem = part.slice(0, -3);
        for (const key of Object.keys(node)) {
          if (key.startsWith(stem) && /^[A-Z]/.test(key.slice(stem.length))) next.push(...asArray(node[key]));
        }
      } else {
        next.push(...asArray(node[part]));
      }
    }
    nodes = next;
  }
  return nodes;
}

// pattern[x]: every element of the pattern is in the instance (arrays: each pattern item matched by one
// instance item); fixed[x]: exactly equal.
function containsPattern(value, pattern) {
  if (Array.isArray(pattern)) {
    const items = asArray(value);
    return pattern.every(p => items.some(v => containsPattern(v, p)));
  }
  if (Array.isArray(value)) return value.some(v => containsPattern(v, pattern));
  if (pattern !== null && typeof pattern === 'object') {
    if (value === null || typeof value !== 'object') return false;
    return Object.keys(pattern).every(k => containsPattern(value[k], pattern[k]));
  }
  return value === pattern;
}

function patternOf(element) {
  for (const key of Object.keys(element)) {
    if (key.startsWith('pattern')) return { kind: 'pattern', value: element[key] };
    if (key.startsWith('fixed')) return { kind: 'fixed', value: element[key] };
  }
  return null;
}

// ------------------------------------------------------------------ the three checks
function checkFhirJs(resource, sd, report) {
  const profile = parsedProfile(sd);
  const validator = new Validator(parser, { errorOnUnexpected: true });
  validator.resourceId = resource.id || '#initial';
  validator.validateProperties(resource, profile._properties, [resource.resourceType]);
  for (const m of validator.response.messages) {
    // FHIR.js counts a required primitive as missing when only its extension is there; FHIR allows
    // `_gender: {extension: [data-absent-reason]}` for a required element (US Core's own rule).
    const leaf = m.location.split('.').pop();
    if (m.message === 'Missing property' && m.location === `${resource.resourceType}.${leaf}`
        && resource[`_${leaf}`] && asArray(resource[`_${leaf}`].extension).length > 0) continue;
    report(m.severity === 'fatal' ? 'error' : m.severity, m.location, m.message, 'fhir.js');
  }
}

function checkInvariants(resource, sd, report) {
  const seen = new Set();
  for (const element of sd.snapshot.element) {
    if (element.id.includes(':')) continue; // slices: their constraints are those of the element
    const constraints = asArray(element.constraint).filter(c => c.expression);
    if (constraints.length === 0) continue;
    const isRoot = !element.path.includes('.');
    // fhirpath.js types a node from its base path; a data type's name is the surest base (a path
    // through a CodeableConcept's extension is not resolved), the element path otherwise.
    const types = asArray(element.type).map(t => t.code);
    const base = types.length === 1 && /^[A-Z]/.test(types[0]) && types[0] !== 'BackboneElement'
      ? types[0] : element.path;
    const nodes = isRoot ? [resource] : nodesAt(resource, element.path);
    for (const c of constraints) {
      const key = `${element.path}|${c.key}`;
      if (seen.has(key)) continue;
      seen.add(key);
      nodes.forEach((node, i) => {
        if (node === null || typeof node !== 'object') return; // primitives: ele-1 holds by value
        let ok;
        try {
          const out = isRoot
            ? fhirpath.evaluate(resource, c.expression, { resource }, r4model)
            : fhirpath.evaluate(node, { base, expression: c.expression },
              { resource }, r4model);
          ok = out.length === 1 && out[0] === true;
        } catch (e) {
          report('warning', element.path, `invariant ${c.key} not evaluable: ${e.message}`, 'fhirpath');
          return;
        }
        if (!ok) {
          const severity = c.severity === 'error' ? 'error' : 'warning';
          report(severity, `${element.path}[${i}]`, `invariant ${c.key} failed: ${c.human}`, 'fhirpath');
        }
      });
    }
  }
}

function sliceMatches(item, sd, slice, discriminators) {
  // A slice's value: the pattern on the slice itself, or on the child at the discriminator's path;
  // an extension slice is told by its url (the extension's profile).
  for (const d of discriminators) {
    if (d.type !== 'value' && d.type !== 'pattern') return null; // type/profile/exists: not checked
    if (d.path === 'url') {
      const url = (asArray(slice.type)[0] || {}).profile;
      const child = sd.snapshot.element.find(e => e.id === `${slice.id}.url`);
      const want = (child && child.fixedUri) || asArray(url)[0];
      if (!want || item.url !== want) return false;
      continue;
    }
    const wantEl = d.path === '$this' ? slice : sd.snapshot.element.find(e => e.id === `${slice.id}.${d.path}`);
    const want = wantEl ? patternOf(wantEl) : null;
    if (!want) return null;
    let got = [item];
    if (d.path !== '$this') {
      for (const step of d.path.split('.')) got = got.flatMap(g => (g && typeof g === 'object' ? asArray(g[step]) : []));
    }
    const hit = got.some(g => (want.kind === 'fixed' ? JSON.stringify(g) === JSON.stringify(want.value)
      : containsPattern(g, want.value)));
    if (!hit) return false;
  }
  return true;
}

function checkPatternsAndSlices(resource, sd, report) {
  const elements = sd.snapshot.element;
  for (const element of elements) {
    const isSlice = /:[^.]+$/.test(element.id);
    if (element.id.includes(':') && !isSlice) continue; // inside a slice: checked with the slice
    const want = patternOf(element);
    if (want && !isSlice && element.path.includes('.')) {
      nodesAt(resource, element.path).forEach((node, i) => {
        const ok = want.kind === 'fixed' ? JSON.stringify(node) === JSON.stringify(want.value)
          : containsPattern(node, want.value);
        if (!ok) {
          report('error', `${element.path}[${i}]`,
            `${want.kind} value ${JSON.stringify(want.value)} not matched`, 'profile');
        }
      });
    }
    if (!isSlice) continue;
    const base = elements.find(e => e.id === element.id.slice(0, element.id.lastIndexOf(':')));
    if (!base || !base.slicing) continue;
    const discriminators = asArray(base.slicing.discriminator);
    // the slice's parents must exist for its minimum to apply (e.g. a component slice of an absent
    // component list still needs the list)
    const parentPath = element.path.slice(0, element.path.lastIndexOf('.'));
    const parents = parentPath.includes('.') ? nodesAt(resource, parentPath) : [resource];
    const leaf = element.path.slice(element.path.lastIndexOf('.') + 1);
    parents.forEach(parent => {
      if (parent === null || typeof parent !== 'object') return;
      const items = asArray(parent[leaf.replace('[x]', '')]);
      let count = 0;
      for (const item of items) {
        const hit = sliceMatches(item, sd, element, discriminators);
        if (hit === null) return; // not a discriminator this check handles
        if (hit) count += 1;
      }
      const max = element.max === '*' ? Infinity : Number(element.max);
      if (count < (element.min || 0)) {
        report('error', element.id, `slice ${element.sliceName}: ${count} found, at least ${element.min} required`,
          'profile');
      } else if (count > max) {
        report('error', element.id, `slice ${element.sliceName}: ${count} found, at most ${element.max} allowed`,
          'profile');
      }
    });
  }
}

// ------------------------------------------------------------------ main
const issues = [];
for (const file of files) {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  const top = doc.resourceType === 'Bundle' ? asArray(doc.entry).map(e => e.resource) : [doc];
  const resources = top.flatMap(r => [r, ...asArray(r.contained)]); // contained ones too
  for (const resource of resources) {
    const where = `${resource.resourceType}/${resource.id}`;
    for (const url of asArray(resource.meta && resource.meta.profile)) {
      const report = (severity, location, message, source) =>
        issues.push({ file, resource: where, profile: url, severity, location, message, source });
      const sd = byUrl.get(url.split('|')[0]);
      if (!sd) {
        report('information', 'meta.profile', 'profile not in the mCODE package: not checked', 'profile');
        continue;
      }
      if (sd.type !== resource.resourceType) {
        report('error', 'resourceType', `profile is for ${sd.type}`, 'profile');
        continue;
      }
      checkFhirJs(resource, sd, report);
      checkInvariants(resource, sd, report);
      checkPatternsAndSlices(resource, sd, report);
    }
  }
}
process.stdout.write(JSON.stringify({ issues }) + '\n');
