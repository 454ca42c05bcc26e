#!/usr/bin/env node
// scripts/validate-export.js terraform|kubernetes DIR...: checks what `tierd export` wrote
// with parsers and schemas nobody here wrote, and prints a JSON summary per DIR on stdout
// ({DIR: {"ok": true, "resources": ["aws_lb.main", ...], "bodies": {...}}}): the resources
// ("Deployment/web" for Kubernetes) and each one's parsed body, for the e2e tests.
//
// terraform: every .tf file is parsed by HashiCorp's HCL parser (npm @cdktf/hcl2json, the Go
// hcl library compiled to WebAssembly). Every resource type, argument and nested block is
// checked against the AWS provider's schema as npm @cdktf/provider-aws ships it: that package
// is generated from the provider's schema (its package.json names the provider version), and
// each resource's synthesizeHclAttributes() and *ToHclTerraform() list every argument with
// whether it is a block and its type, while its Config interfaces say which are required.
// References (var.X, aws_T.N.attr) must name a declared variable, a resource of this
// configuration and an attribute that resource has.
//
// kubernetes: every document is parsed with js-yaml and validated by kubernetes-models
// (the API's OpenAPI schemas compiled to validators); because those validators accept
// unknown fields, every field is also checked against the models' type declarations
// (what `kubectl --validate=strict` would refuse).
//
// Exit 0 when everything passed, 1 with every problem on stderr, 2 for a usage error.
// Test-only: these packages are devDependencies and never embedded (scripts/embed.js).
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..', 'node_modules');
const problems = [];
const problem = (msg) => problems.push(msg);
const unchecked = new Set();

// ---------------------------------------------------------------------------------------
// The AWS provider's schema, read from @cdktf/provider-aws's generated sources.

const awsDir = path.join(root, '@cdktf', 'provider-aws');
const awsPkg = JSON.parse(fs.readFileSync(path.join(awsDir, 'package.json'), 'utf8'));
const providerVersion = awsPkg.cdktf && awsPkg.cdktf.provider && awsPkg.cdktf.provider.version;

// Entries "name: { value: EXPR, isBlock: B, type: "T", storageClassType: "S" }" in a chunk.
const entryRe = /(\w+): \{\s*value: ([^\n]*),\s*isBlock: (true|false),\s*type: "(\w+)",\s*storageClassType: "(\w+)",\s*\}/g;

function entries(chunk) {
    const out = {};
    for (const m of chunk.matchAll(entryRe)) {
        const fn = /(\w+)ToHclTerraform/.exec(m[2]);
        out[m[1]] = { isBlock: m[3] === 'true', type: m[4], storage: m[5],
                      fn: m[3] === 'true' && fn ? fn[1] : null };
    }
    return out;
}

// Interface name -> { snake_name: required } from the .d.ts (the doc link names the snake).
function interfaces(dts) {
    const out = {};
    const re = /export interface (\w+)[^{]*\{([\s\S]*?)\n\}/g;
    for (const m of dts.matchAll(re)) {
        const props = {};
        const pr = /\{@link \S+#(\w+) [^}]*\}\s*\*\/\s*readonly (\w+)(\??):/g;
        for (const p of m[2].matchAll(pr))
            props[p[1]] = p[3] !== '?';
        out[m[1]] = props;
    }
    return out;
}

const schemaCache = new Map();
// The schema of resource type `type` ("aws_lb"), or null when the provider has none.
function resourceSchema(type) {
    if (schemaCache.has(type))
        return schemaCache.get(type);
    const dir = path.join(awsDir, 'lib', type.replace(/^aws_/, '').replace(/_/g, '-'));
    let js, dts;
    try {
        js = fs.readFileSync(path.join(dir, 'index.js'), 'utf8');
        dts = fs.readFileSync(path.join(dir, 'index.d.ts'), 'utf8');
    } catch (e) {
        schemaCache.set(type, null);
        return null;
    }
    const cls = new RegExp(`\\n(\\w+)\\.tfResourceType = "${type}";`).exec(js);
    const start = js.indexOf('synthesizeHclAttributes() {');
    if (!cls || start < 0) {
        schemaCache.set(type, null);
        return null;
    }
    const end = js.indexOf('\n    }\n', start);
    const ifs = interfaces(dts);
    const fns = {};
    for (const m of js.matchAll(/function (\w+)ToHclTerraform\(struct\) \{([\s\S]*?)\n\}\n/g))
        fns[m[1]] = m[2];
    // Computed attributes anyone may reference: every getXAttribute('name') in the file.
    const attrs = new Set();
    for (const m of js.matchAll(/get\w*Attribute\('(\w+)'\)/g))
        attrs.add(m[1]);
    // Computed blocks and lists: new XList(this, "name", ...), new XOutputReference(this, "name").
    for (const m of js.matchAll(/new \w+\(this, "(\w+)"/g))
        attrs.add(m[1]);
    const build = (chunk, ifname, seen) => {
        const args = entries(chunk);
        const req = ifs[ifname] || {};
        const s = { args, required: Object.keys(req).filter((k) => req[k]), blocks: {} };
        for (const [name, a] of Object.entries(args)) {
            attrs.add(name);
            if (a.fn && fns[a.fn] && !seen.has(a.fn)) {
                const iface = a.fn[0].toUpperCase() + a.fn.slice(1);
                s.blocks[name] = build(fns[a.fn], iface, new Set([...seen, a.fn]));
            }
        }
        return s;
    };
    const s = build(js.slice(start, end), `${cls[1]}Config`, new Set());
    s.attrs = attrs;
    schemaCache.set(type, s);
    return s;
}

const META = new Set(['count', 'for_each', 'depends_on', 'lifecycle', 'provider']);
const isExpr = (v) => typeof v === 'string' && /\$\{/.test(v);

function checkValue(where, a, v) {
    if (isExpr(v))
        return;                 // an expression: its type is Terraform's to check
    const st = a.storage;
    if (a.type === 'simple') {
        if (st === 'number' && typeof v !== 'number')
            problem(`${where}: a number, not ${JSON.stringify(v)}`);
        if (st === 'boolean' && typeof v !== 'boolean')
            problem(`${where}: a boolean, not ${JSON.stringify(v)}`);
        if (st === 'string' && typeof v !== 'string' && typeof v !== 'number')
            problem(`${where}: a string, not ${JSON.stringify(v)}`);
    } else if (a.type === 'list' || a.type === 'set') {
        if (!Array.isArray(v))
            problem(`${where}: a list, not ${JSON.stringify(v)}`);
    } else if (a.type === 'map' && (typeof v !== 'object' || Array.isArray(v))) {
        problem(`${where}: a map, not ${JSON.stringify(v)}`);
    }
}

function checkBody(where, schema, body) {
    for (const [k, v] of Object.entries(body)) {
        if (META.has(k))
            continue;
        const a = schema.args[k];
        if (!a) {
            const near = Object.keys(schema.args).filter((n) => n.includes(k) || k.includes(n));
            problem(`${where}: no argument "${k}" in the provider's schema` +
                    (near.length ? ` (near: ${near.slice(0, 3).join(', ')})` : ''));
            continue;
        }
        if (a.storage === 'any') {
            // cdktf gives up on recursive schemas (WAF's statement): the provider's own
            // schema is not in the package for these, so they stay unchecked (docs/export.md).
            unchecked.add(`${where.replace(/^[^:]*: /, '').replace(/\.\w+\[.*$/, '')}.${k}`);
            continue;
        }
        if (a.isBlock) {
            const list = Array.isArray(v) ? v : null;
            if (!list || list.some((b) => typeof b !== 'object' || Array.isArray(b))) {
                problem(`${where}.${k}: a block ("${k} { ... }"), not an argument`);
                continue;
            }
            const sub = schema.blocks[k];
            if (sub)
                list.forEach((b, i) => checkBody(`${where}.${k}[${i}]`, sub, b));
        } else {
            if (Array.isArray(v) && v.length && typeof v[0] === 'object' && !Array.isArray(v[0]) &&
                a.type === 'simple')
                problem(`${where}.${k}: an argument ("${k} = ..."), not a block`);
            else
                checkValue(`${where}.${k}`, a, v);
        }
    }
    for (const r of schema.required)
        if (!(r in body))
            problem(`${where}: the required argument "${r}" is missing`);
}

// Every "${...}" reference in a value: var.X and TYPE.NAME[.ATTR].
function references(v, out) {
    if (typeof v === 'string') {
        for (const m of v.matchAll(/\$\{([^}]*)\}/g))
            for (const r of m[1].matchAll(/\b(var|aws_[a-z0-9_]+)\.([A-Za-z_][\w-]*)(?:\.(\w+))?/g))
                out.push(r);
    } else if (Array.isArray(v)) {
        v.forEach((x) => references(x, out));
    } else if (v && typeof v === 'object') {
        Object.values(v).forEach((x) => references(x, out));
    }
    return out;
}

async function terraform(dir) {
    const { parse } = require('@cdktf/hcl2json');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.tf')).sort();
    if (!files.length)
        problem(`${dir}: no .tf files`);
    const docs = [];
    for (const f of files) {
        try {
            docs.push([f, await parse(f, fs.readFileSync(path.join(dir, f), 'utf8'))]);
        } catch (e) {
            problem(`${f}: HCL parse error: ${e.message || e}`);
        }
    }
    const vars = new Set(), resources = new Map(), summary = [], bodies = {};
    for (const [, d] of docs) {
        Object.keys(d.variable || {}).forEach((v) => vars.add(v));
        for (const [type, byName] of Object.entries(d.resource || {}))
            for (const name of Object.keys(byName)) {
                if (resources.has(`${type}.${name}`))
                    problem(`${type}.${name}: declared twice`);
                resources.set(`${type}.${name}`, type);
                summary.push(`${type}.${name}`);
                bodies[`${type}.${name}`] = byName[name];
            }
    }
    let pinned = null;
    for (const [f, d] of docs) {
        for (const t of d.terraform || [])
            for (const rp of t.required_providers || [])
                if (rp.aws)
                    pinned = rp.aws;
        for (const [type, byName] of Object.entries(d.resource || {})) {
            const s = resourceSchema(type);
            if (!s) {
                problem(`${f}: resource type ${type} is not in the AWS provider ${providerVersion}`);
                continue;
            }
            for (const [name, bodies] of Object.entries(byName))
                for (const body of bodies)
                    checkBody(`${f}: ${type}.${name}`, s, body);
        }
        for (const r of references(d.resource || {}, []).concat(references(d.output || {}, []))
                          .concat(references(d.provider || {}, []))) {
            if (r[1] === 'var') {
                if (!vars.has(r[2]))
                    problem(`${f}: var.${r[2]} is not declared`);
                continue;
            }
            const key = `${r[1]}.${r[2]}`;
            if (!resources.has(key)) {
                problem(`${f}: ${key} is referenced but not declared`);
                continue;
            }
            const s = resourceSchema(r[1]);
            if (r[3] && s && !s.attrs.has(r[3]))
                problem(`${f}: ${key}.${r[3]}: ${r[1]} has no attribute "${r[3]}"`);
        }
    }
    if (!pinned || pinned.source !== 'hashicorp/aws' || pinned.version !== `= ${providerVersion}`)
        problem(`required_providers.aws must pin hashicorp/aws "= ${providerVersion}" (the ` +
                `schema checked against); found ${JSON.stringify(pinned)}`);
    return { provider: `hashicorp/aws ${providerVersion}`, resources: summary.sort(),
             unchecked: [...unchecked].sort(), bodies };
}

// ---------------------------------------------------------------------------------------
// Kubernetes: kubernetes-models' validators, then unknown fields against its declarations.

const k8sDir = path.join(root, 'kubernetes-models');
const amDir = path.join(root, '@kubernetes-models', 'apimachinery');
let decls = null;           // alias ("IIoK8sApiAppsV1DeploymentSpec") -> { prop: type }

function walkDts(dir, out) {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory() && e.name !== '_schemas')
            walkDts(p, out);
        else if (e.name.endsWith('.d.ts'))
            out.push(p);
    }
    return out;
}

function parseDecl(text) {
    const ifs = {};
    for (const m of text.matchAll(/export interface (\w+)[^{]*\{([\s\S]*?)\n\}/g)) {
        const props = {};
        // Props sit at four spaces; a map's type opens a brace on the same line.
        for (const p of m[2].matchAll(/^ {4}"([^"]+)"\??: (.*?);?$/gm))
            props[p[1]] = p[2];
        ifs[m[1]] = props;
    }
    const alias = {};
    for (const m of text.matchAll(/export type \{([^}]*)\}/g))
        for (const a of m[1].matchAll(/(\w+) as (\w+)/g))
            alias[a[2]] = a[1];
    return { ifs, alias };
}

function loadDecls() {
    decls = {};
    for (const f of walkDts(k8sDir, []).concat(walkDts(amDir, []))) {
        const { ifs, alias } = parseDecl(fs.readFileSync(f, 'utf8'));
        for (const [a, local] of Object.entries(alias))
            if (ifs[local])
                decls[a] = ifs[local];
    }
}

function checkFields(where, props, v) {
    if (!v || typeof v !== 'object' || Array.isArray(v) || !props)
        return;
    for (const [k, x] of Object.entries(v)) {
        if (!(k in props)) {
            problem(`${where}: unknown field "${k}"`);
            continue;
        }
        const t = /^(?:Array<)?(I\w+)>?$/.exec(props[k]);
        if (!t || !decls[t[1]])
            continue;
        if (Array.isArray(x))
            x.forEach((y, i) => checkFields(`${where}.${k}[${i}]`, decls[t[1]], y));
        else
            checkFields(`${where}.${k}`, decls[t[1]], x);
    }
}

function kubernetes(dir) {
    const yaml = require('js-yaml');
    const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
    const summary = [], bodies = {};
    if (!files.length)
        problem(`${dir}: no .yaml files`);
    if (!decls)
        loadDecls();
    for (const f of files) {
        let docs;
        try {
            docs = yaml.loadAll(fs.readFileSync(path.join(dir, f), 'utf8'));
        } catch (e) {
            problem(`${f}: YAML parse error: ${e.message}`);
            continue;
        }
        docs.filter((d) => d !== null && d !== undefined).forEach((d, i) => {
            const where = `${f}: document ${i + 1} (${d.kind}/${d.metadata && d.metadata.name})`;
            if (!d.apiVersion || !d.kind) {
                problem(`${where}: apiVersion and kind are required`);
                return;
            }
            const group = d.apiVersion.includes('/') ? d.apiVersion : `v1`;
            const file = path.join(k8sDir, ...group.split('/'), `${d.kind}.js`);
            if (!fs.existsSync(file)) {
                problem(`${where}: ${d.apiVersion} ${d.kind} is not a Kubernetes API type`);
                return;
            }
            const mod = require(file);
            const M = mod[d.kind];
            try {
                new M(d).validate();
            } catch (e) {
                problem(`${where}: ${e.message.split('\n').slice(0, 6).join('; ')}`);
            }
            const top = parseDecl(fs.readFileSync(file.replace(/\.js$/, '.d.ts'), 'utf8'));
            checkFields(where, top.ifs[`I${d.kind}`], d);
            const ns = d.metadata && d.metadata.name;
            if (!ns || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns) || ns.length > 63)
                problem(`${where}: metadata.name must be a DNS label`);
            summary.push(`${d.kind}/${ns}`);
            bodies[`${d.kind}/${ns}`] = d;
        });
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(k8sDir, 'package.json'), 'utf8'));
    return { models: `kubernetes-models ${pkg.version}`, resources: summary.sort(), bodies };
}

async function main() {
    const [what, ...dirs] = process.argv.slice(2);
    if (!dirs.length || !['terraform', 'kubernetes'].includes(what)) {
        console.error('usage: scripts/validate-export.js terraform|kubernetes DIR...');
        process.exit(2);
    }
    // One run for many exports: loading the schemas is most of the time.
    const out = {};
    let failed = false;
    for (const dir of dirs) {
        problems.length = 0;
        out[dir] = what === 'terraform' ? await terraform(dir) : kubernetes(dir);
        problems.forEach((p) => console.error(`${dir}/${p}`));
        out[dir].ok = problems.length === 0;
        failed = failed || problems.length > 0;
    }
    console.log(JSON.stringify(out));
    process.exit(failed ? 1 : 0);
}

main().catch((e) => {
    console.error(e.stack || String(e));
    process.exit(1);
});
