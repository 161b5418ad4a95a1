/**
 * Hostile-input corpus: outputs, files and CLI arguments. Every command refuses (exit 2) to
 * write over an input or over a file it did not write, never leaves a half-written set, locks
 * its output folder, names the argument in every file error, and suggests the flag or command
 * meant.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_NAME, MANIFEST_NAME, outputTestHooks } from '../../src/io/outputs.js';
import { GOOD_CSV, estimateArgs, runCase, runCli, type CorpusCase } from './harness.js';

/** 24 people: id, treatment t, covariate x, 0/1 outcome y, arm label, survival time/event. */
const PEOPLE = (() => {
  const rows = ['id,t,x,y,arm,time,event'];
  for (let i = 0; i < 24; i++) {
    const t = i % 3 === 0 ? 1 : 0;
    rows.push(`p${i},${t},${((i * 7) % 11) / 3},${(i * 5) % 7 < 3 ? 1 : 0},${t ? (i % 2 ? 'A' : 'B') : 'none'},${1 + ((i * 13) % 17)},${i % 4 === 0 ? 0 : 1}`);
  }
  return rows.join('\n') + '\n';
})();

const STUDY = `title: corpus
data:
  persons: people.csv
id: id
treatment: t
covariates: [x]
matching: { replace: true }
se: pairs
minCellCount: 1
outcomes:
  - type: binary
    column: y
output: out
`;

const SET = ['results.json', 'balance.csv', 'effects.csv', 'report.html'];
const read = (p: string) => readFileSync(p, 'utf8');
const noTemporaries = (dir: string) => expect(readdirSync(dir).filter((n) => n.startsWith('.counterfact-tmp-'))).toEqual([]);
const studyFiles = (extra: Record<string, string | Uint8Array> = {}, study = STUDY) => ({ 'people.csv': PEOPLE, 'study.yaml': study, ...extra });
/** A process id that is surely not running (beyond Linux's pid_max). */
const DEAD_PID = 4_194_999;

afterEach(() => {
  outputTestHooks.failAfterStagedFiles = null;
  outputTestHooks.failAfterRenames = null;
});

const estimateCases: CorpusCase[] = [
  {
    name: '--pairs is the --data file: refused, the data untouched',
    files: { 'data.csv': GOOD_CSV },
    args: estimateArgs('data.csv', ['--pairs', '{dir}/data.csv']),
    code: 2,
    err: /--pairs .*input of this run \(--data\)/,
    check: (r) => expect(read(join(r.dir, 'data.csv'))).toBe(GOOD_CSV),
  },
  {
    name: '--pairs is the --data file by another spelling of the path',
    files: { 'data.csv': GOOD_CSV, 'sub/keep': '' },
    args: estimateArgs('data.csv', ['--pairs', '{dir}/sub/../data.csv']),
    code: 2,
    err: /input of this run/,
    check: (r) => expect(read(join(r.dir, 'data.csv'))).toBe(GOOD_CSV),
  },
  {
    name: '--pairs over --data even with --force: still refused',
    files: { 'data.csv': GOOD_CSV },
    args: estimateArgs('data.csv', ['--pairs', '{dir}/data.csv', '--force']),
    code: 2,
    err: /--force never replaces an input/,
    check: (r) => expect(read(join(r.dir, 'data.csv'))).toBe(GOOD_CSV),
  },
  {
    name: '--matched-data is the --data file',
    files: { 'data.csv': GOOD_CSV },
    args: estimateArgs('data.csv', ['--matched-data', '{dir}/data.csv', '--force']),
    code: 2,
    err: /--matched-data .*input of this run/,
    check: (r) => expect(read(join(r.dir, 'data.csv'))).toBe(GOOD_CSV),
  },
  {
    name: '--pairs and --matched-data name the same file',
    files: { 'data.csv': GOOD_CSV },
    args: estimateArgs('data.csv', ['--pairs', '{dir}/o.csv', '--matched-data', '{dir}/o.csv']),
    code: 2,
    err: /--matched-data and --pairs name the same file/,
    check: (r) => expect(existsSync(join(r.dir, 'o.csv'))).toBe(false),
  },
  {
    name: '--pairs over a file counterfact did not write: refused, the file untouched',
    files: { 'data.csv': GOOD_CSV, 'notes.csv': 'my notes\n' },
    args: estimateArgs('data.csv', ['--pairs', '{dir}/notes.csv']),
    code: 2,
    err: /refusing to replace the existing file .*notes\.csv \(--pairs\).*--force/,
    check: (r) => expect(read(join(r.dir, 'notes.csv'))).toBe('my notes\n'),
  },
  {
    name: '--pairs over a foreign file with --force: replaced',
    files: { 'data.csv': GOOD_CSV, 'notes.csv': 'my notes\n' },
    args: estimateArgs('data.csv', ['--pairs', '{dir}/notes.csv', '--force']),
    code: 0,
    check: (r) => expect(read(join(r.dir, 'notes.csv'))).toMatch(/^treated_id,control_id,weight\n/),
  },
  {
    name: '--matched-data over a foreign file: refused',
    files: { 'data.csv': GOOD_CSV, 'm.csv': 'keep\n' },
    args: estimateArgs('data.csv', ['--matched-data', '{dir}/m.csv']),
    code: 2,
    err: /refusing to replace the existing file .*m\.csv/,
    check: (r) => expect(read(join(r.dir, 'm.csv'))).toBe('keep\n'),
  },
  {
    name: '--pairs into a folder that does not exist: says the folder is missing',
    files: { 'data.csv': GOOD_CSV },
    args: estimateArgs('data.csv', ['--pairs', '{dir}/nowhere/pairs.csv']),
    code: 2,
    err: /--pairs: the folder .*nowhere does not exist/,
    check: (r) => expect(r.stderr).not.toMatch(/file not found/),
  },
  {
    name: '--matched-data into a folder that does not exist',
    files: { 'data.csv': GOOD_CSV },
    args: estimateArgs('data.csv', ['--matched-data', '{dir}/nowhere/m.parquet']),
    code: 2,
    err: /--matched-data: the folder .*does not exist/,
  },
  {
    name: '--pairs is an existing folder',
    files: { 'data.csv': GOOD_CSV, 'pairs.csv/inside.txt': 'x' },
    args: estimateArgs('data.csv', ['--pairs', '{dir}/pairs.csv']),
    code: 2,
    err: /--pairs: .*pairs\.csv is a folder/,
    check: (r) => expect(read(join(r.dir, 'pairs.csv', 'inside.txt'))).toBe('x'),
  },
  {
    name: '--matched-data is an existing folder (even with --force)',
    files: { 'data.csv': GOOD_CSV, 'm.csv/keep': 'x' },
    args: estimateArgs('data.csv', ['--matched-data', '{dir}/m.csv', '--force']),
    code: 2,
    err: /--matched-data: .*is a folder/,
  },
  {
    name: '--pairs inside a path whose "folder" is a file',
    files: { 'data.csv': GOOD_CSV, afile: 'x' },
    args: estimateArgs('data.csv', ['--pairs', '{dir}/afile/pairs.csv']),
    code: 2,
    err: /--pairs: .*afile is a file, not a folder/,
  },
  {
    name: '--data is a folder',
    files: { 'folder/data.csv': GOOD_CSV },
    args: estimateArgs('folder'),
    code: 2,
    err: /--data: .*folder is a folder; give the data file inside it/,
  },
  {
    name: '--data does not exist: the message names --data',
    files: {},
    args: estimateArgs('missing.csv'),
    code: 2,
    err: /--data: file not found: .*missing\.csv/,
  },
  {
    name: '--data in a folder that does not exist',
    files: {},
    args: estimateArgs('gone/missing.csv'),
    code: 2,
    err: /--data: file not found: .*the folder .*gone does not exist either/,
  },
  {
    name: '--spells is a folder',
    files: { 'data.csv': 'id,t,x,y,ref\n1,1,1,1,2020-01-01\n2,0,2,0,\n3,1,3,1,2020-02-01\n4,0,1,0,\n', 'sp/x.csv': 'id,start,end\n' },
    args: [
      'estimate',
      '--data',
      '{dir}/data.csv',
      '--treatment',
      't',
      '--covariates',
      'x',
      '--id',
      'id',
      '--spells',
      '{dir}/sp',
      '--reference-date',
      'ref',
      '--horizons',
      '6',
    ],
    code: 2,
    err: /--spells: .*sp is a folder/,
  },
  {
    name: '--spells does not exist: names --spells',
    files: { 'data.csv': GOOD_CSV },
    args: [
      'estimate',
      '--data',
      '{dir}/data.csv',
      '--treatment',
      't',
      '--covariates',
      'x',
      '--id',
      'id',
      '--spells',
      '{dir}/spells.csv',
      '--reference-date',
      'r',
      '--horizons',
      '6',
    ],
    code: 2,
    err: /--spells: file not found/,
  },
  {
    name: '--pairs over the --spells file',
    files: { 'data.csv': GOOD_CSV, 'spells.csv': 'id,start,end\n' },
    args: estimateArgs('data.csv', ['--spells', '{dir}/spells.csv', '--pairs', '{dir}/spells.csv', '--force']),
    code: 2,
    err: /input of this run \(--spells\)/,
    check: (r) => expect(read(join(r.dir, 'spells.csv'))).toBe('id,start,end\n'),
  },
  {
    name: '--pairs writes a manifest naming the file, and no temporary folder is left',
    files: { 'data.csv': GOOD_CSV },
    args: estimateArgs('data.csv', ['--pairs', '{dir}/pairs.csv']),
    code: 0,
    check: (r) => {
      const m = JSON.parse(read(join(r.dir, MANIFEST_NAME)));
      expect(Object.keys(m.files)).toEqual(['pairs.csv']);
      expect(m.files['pairs.csv'].command).toBe('estimate');
      noTemporaries(r.dir);
      expect(existsSync(join(r.dir, LOCK_NAME))).toBe(false);
    },
  },
  {
    name: 'a live lock on the --pairs folder: refused, naming the lock and how to clear it',
    files: { 'data.csv': GOOD_CSV, [LOCK_NAME]: JSON.stringify({ pid: process.pid, command: 'run' }) },
    args: estimateArgs('data.csv', ['--pairs', '{dir}/pairs.csv']),
    code: 2,
    err: new RegExp(`another counterfact run \\(process ${process.pid}\\) is writing to .*delete the lock file .*${LOCK_NAME.replace('.', '\\.')}`),
    check: (r) => expect(existsSync(join(r.dir, 'pairs.csv'))).toBe(false),
  },
  {
    name: 'a stale lock (its process is gone) is taken over',
    files: { 'data.csv': GOOD_CSV, [LOCK_NAME]: JSON.stringify({ pid: DEAD_PID, command: 'run' }) },
    args: estimateArgs('data.csv', ['--pairs', '{dir}/pairs.csv']),
    code: 0,
    check: (r) => {
      expect(existsSync(join(r.dir, 'pairs.csv'))).toBe(true);
      expect(existsSync(join(r.dir, LOCK_NAME))).toBe(false);
    },
  },
  {
    name: 'an unreadable lock counts as held',
    files: { 'data.csv': GOOD_CSV, [LOCK_NAME]: 'garbage' },
    args: estimateArgs('data.csv', ['--pairs', '{dir}/pairs.csv']),
    code: 2,
    err: /is writing to .*delete the lock file/,
  },
  {
    name: 'a temporary folder left by a killed run is removed',
    files: { 'data.csv': GOOD_CSV, [`.counterfact-tmp-${DEAD_PID}-abc/pairs.csv`]: 'half' },
    args: estimateArgs('data.csv', ['--pairs', '{dir}/pairs.csv']),
    code: 0,
    check: (r) => noTemporaries(r.dir),
  },
];

const manifestCases: CorpusCase[] = [
  {
    name: 'a hand-made manifest that lists a file with another size does not make it replaceable',
    files: {
      'data.csv': GOOD_CSV,
      'pairs.csv': 'precious\n',
      [MANIFEST_NAME]: JSON.stringify({ tool: 'counterfact', files: { 'pairs.csv': { size: 1, mtimeMs: 0, command: 'estimate', run: 'x' } } }),
    },
    args: estimateArgs('data.csv', ['--pairs', '{dir}/pairs.csv']),
    code: 2,
    err: /refusing to replace the existing file/,
    check: (r) => expect(read(join(r.dir, 'pairs.csv'))).toBe('precious\n'),
  },
  {
    name: "a corrupt manifest: no file counts as counterfact's",
    files: { 'data.csv': GOOD_CSV, 'pairs.csv': 'precious\n', [MANIFEST_NAME]: '{not json' },
    args: estimateArgs('data.csv', ['--pairs', '{dir}/pairs.csv']),
    code: 2,
    err: /refusing to replace/,
  },
  {
    name: 'a manifest naming __proto__ does not vouch for anything',
    files: { 'data.csv': GOOD_CSV, ['__proto__']: 'x\n', [MANIFEST_NAME]: '{"tool":"counterfact","files":{}}' },
    args: estimateArgs('data.csv', ['--pairs', '{dir}/__proto__']),
    code: 2,
    err: /refusing to replace the existing file .*__proto__/,
  },
  {
    name: 'reproduce --write-fixtures over a foreign file: refused before the long run',
    files: { 'fx/training-2015-people.csv': 'mine\n' },
    args: ['reproduce', '--write-fixtures', '{dir}/fx'],
    code: 2,
    err: /refusing to replace the existing file .*training-2015-people\.csv \(--write-fixtures\)/,
    check: (r) => expect(read(join(r.dir, 'fx', 'training-2015-people.csv'))).toBe('mine\n'),
  },
  {
    name: 'reproduce --write-fixtures is a file',
    files: { fx: 'a file' },
    args: ['reproduce', '--write-fixtures', '{dir}/fx'],
    code: 2,
    err: /--write-fixtures: .*fx is a file, not a folder/,
  },
];

const argumentCases: CorpusCase[] = [
  { name: 'misspelt command: did you mean', args: ['estmate'], code: 2, err: /unknown command "estmate"; did you mean "estimate"\?/ },
  { name: 'command with a swapped pair of letters', args: ['rnu', 'x.yaml'], code: 2, err: /did you mean "run"\?/ },
  { name: 'command in capitals', args: ['INIT'], code: 2, err: /did you mean "init"\?/ },
  { name: 'command far from any: no guess', args: ['frobnicate'], code: 2, err: /unknown command "frobnicate"\n/ },
  { name: '__proto__ as a command', args: ['__proto__'], code: 2, err: /unknown command "__proto__"/ },
  { name: 'constructor as a command', args: ['constructor'], code: 2, err: /unknown command "constructor"/ },
  {
    name: 'misspelt flag: did you mean',
    files: { 'data.csv': GOOD_CSV },
    args: ['estimate', '--data', '{dir}/data.csv', '--treatmnet', 't'],
    code: 2,
    err: /unknown option --treatmnet; did you mean --treatment\?/,
  },
  {
    name: 'singular of a plural flag',
    files: { 'data.csv': GOOD_CSV },
    args: ['estimate', '--data', '{dir}/data.csv', '--covariate', 'x'],
    code: 2,
    err: /did you mean --covariates\?/,
  },
  { name: 'misspelt run flag', args: ['run', 'x.yaml', '--outt', 'o'], code: 2, err: /unknown option --outt; did you mean --out\?/ },
  { name: 'misspelt flag given with =', args: ['synth', '--rwos=10', '--out', 'x.csv'], code: 2, err: /unknown option --rwos; did you mean --rows\?/ },
  { name: 'flag far from any: no guess', args: ['init', '--zzzzzzzz'], code: 2, err: /unknown option --zzzzzzzz \(see --help/ },
  {
    name: 'tie-tolerance advice names the CLI flag, not the library option',
    files: { 'data.csv': 't,x,y\n1,1,1\n1,1,0\n0,1,1\n0,1,0\n0,1,1\n0,2,0\n1,2,1\n0,2,1\n' },
    args: ['estimate', '--data', '{dir}/data.csv', '--treatment', 't', '--outcome', 'y', '--covariates', 'x', '--replace', '--ties', '--se', 'none'],
    code: 0,
    check: (r) => {
      expect(r.stderr).not.toMatch(/tieTolerance|psNeighbours/);
      expect(r.stderr).toMatch(/--tie-tolerance/);
    },
  },
];

const sensitivityCases: CorpusCase[] = [
  {
    name: 'Rosenbaum bounds on a non-binary outcome: a note, not a silent drop or an exit',
    files: { 'data.csv': GOOD_CSV },
    args: estimateArgs('data.csv', ['--sensitivity', 'rosenbaum,evalue', '--json']),
    code: 0,
    err: /note: Rosenbaum bounds: not computed: .*0\/1 outcome/,
    check: (r) => {
      const j = JSON.parse(r.stdout);
      expect(j.sensitivity.notes.join(' ')).toMatch(/Rosenbaum/);
      expect(j.sensitivity.evalue).toBeDefined();
    },
  },
  {
    name: 'Rosenbaum bounds with 2 controls per treated unit: a note',
    files: { 'data.csv': 't,x,y\n1,1.5,1\n0,1.2,0\n1,2.5,1\n0,2.1,1\n0,0.5,0\n1,0.9,0\n0,1.1,1\n0,2.2,0\n' },
    args: estimateArgs('data.csv', ['--ratio', '2', '--sensitivity', 'rosenbaum']),
    code: 0,
    err: /note: Rosenbaum bounds: not computed/,
  },
  {
    name: 'E-value with a matched control mean of 0 or less: a note',
    files: { 'data.csv': 't,x,y\n1,1.5,-3\n0,1.2,-2\n1,2.5,-4\n0,2.1,-3\n0,0.5,-1\n1,0.9,-2\n' },
    args: estimateArgs('data.csv', ['--sensitivity', 'evalue']),
    code: 0,
    err: /note: E-value: not computed: .*control mean must be positive/,
    out: /sensitivity: .*"notes"/,
  },
  {
    name: 'an unknown sensitivity analysis is still an argument error',
    files: { 'data.csv': GOOD_CSV },
    args: estimateArgs('data.csv', ['--sensitivity', 'evalu']),
    code: 2,
    err: /--sensitivity takes rosenbaum, evalue and\/or confounder, received evalu/,
  },
];

const initCases: CorpusCase[] = [
  {
    name: 'init into a folder with people.csv: refused naming it, nothing written',
    files: { 'ex/people.csv': 'mine\n' },
    args: ['init', '{dir}/ex'],
    code: 2,
    err: /refusing to replace the existing file .*people\.csv/,
    check: (r) => {
      expect(read(join(r.dir, 'ex', 'people.csv'))).toBe('mine\n');
      expect(existsSync(join(r.dir, 'ex', 'study.yaml'))).toBe(false);
    },
  },
  {
    name: 'init into a folder with spells.csv only',
    files: { 'ex/spells.csv': 'mine\n' },
    args: ['init', '{dir}/ex'],
    code: 2,
    err: /spells\.csv/,
    check: (r) => expect(read(join(r.dir, 'ex', 'spells.csv'))).toBe('mine\n'),
  },
  {
    name: 'init where DIR is a file',
    files: { ex: 'a file' },
    args: ['init', '{dir}/ex'],
    code: 2,
    err: /DIR: .*ex is a file, not a folder/,
    check: (r) => expect(read(join(r.dir, 'ex'))).toBe('a file'),
  },
  {
    name: 'init --force replaces',
    files: { 'ex/people.csv': 'mine\n' },
    args: ['init', '{dir}/ex', '--force'],
    code: 0,
    check: (r) => expect(read(join(r.dir, 'ex', 'people.csv'))).not.toBe('mine\n'),
  },
];

const synthCases: CorpusCase[] = [
  {
    name: 'synth --out over a foreign file',
    files: { 'reg.csv': 'mine\n' },
    args: ['synth', '--rows', '50', '--out', '{dir}/reg.csv'],
    code: 2,
    err: /refusing to replace the existing file .*reg\.csv/,
    check: (r) => expect(read(join(r.dir, 'reg.csv'))).toBe('mine\n'),
  },
  {
    name: 'synth refuses before writing when only its truth file is foreign',
    files: { 'reg.truth.json': '{}' },
    args: ['synth', '--rows', '50', '--out', '{dir}/reg.csv'],
    code: 2,
    err: /reg\.truth\.json/,
    check: (r) => expect(existsSync(join(r.dir, 'reg.csv'))).toBe(false),
  },
  {
    name: 'synth --out is a folder',
    files: { 'reg.csv/x': '' },
    args: ['synth', '--rows', '50', '--out', '{dir}/reg.csv'],
    code: 2,
    err: /is a folder/,
  },
  {
    name: 'synth into a missing folder',
    args: ['synth', '--rows', '50', '--out', '{dir}/no/reg.csv'],
    code: 2,
    err: /the folder .*no does not exist/,
  },
];

const runCases: CorpusCase[] = [
  {
    name: 'output: . with an input called balance.csv: refused, the input untouched',
    files: studyFiles({ 'balance.csv': PEOPLE }, STUDY.replace('persons: people.csv', 'persons: balance.csv').replace('output: out', 'output: .')),
    args: ['run', '{dir}/study.yaml'],
    code: 2,
    err: /balance\.csv: it is an input of this run \(data\.persons\)/,
    check: (r) => {
      expect(read(join(r.dir, 'balance.csv'))).toBe(PEOPLE);
      expect(existsSync(join(r.dir, 'results.json'))).toBe(false);
    },
  },
  {
    name: 'the output folder holds a report.html counterfact did not write',
    files: studyFiles({ 'out/report.html': '<p>mine</p>' }),
    args: ['run', '{dir}/study.yaml'],
    code: 2,
    err: /refusing to replace the existing file .*report\.html \(output report\.html\)/,
    check: (r) => {
      expect(read(join(r.dir, 'out', 'report.html'))).toBe('<p>mine</p>');
      expect(existsSync(join(r.dir, 'out', 'results.json'))).toBe(false);
    },
  },
  {
    name: '--out over a folder with a foreign results.json, --force given',
    files: studyFiles({ 'o2/results.json': '{}' }),
    args: ['run', '{dir}/study.yaml', '--out', '{dir}/o2', '--force'],
    code: 0,
    check: (r) => expect(JSON.parse(read(join(r.dir, 'o2', 'results.json'))).kind).toBe('StudyResults'),
  },
  {
    name: 'the output folder is a file',
    files: studyFiles({ out: 'a file' }),
    args: ['run', '{dir}/study.yaml'],
    code: 2,
    err: /output: .*out is a file, not a folder/,
  },
  {
    name: '--out is a file',
    files: studyFiles({ o: 'a file' }),
    args: ['run', '{dir}/study.yaml', '--out', '{dir}/o'],
    code: 2,
    err: /--out: .* is a file, not a folder/,
  },
  {
    name: 'report.html in the output folder is a folder',
    files: studyFiles({ 'out/report.html/x': '' }),
    args: ['run', '{dir}/study.yaml'],
    code: 2,
    err: /report\.html is a folder/,
  },
  {
    name: 'data.persons is a folder',
    files: { 'study.yaml': STUDY, 'people.csv/x.csv': PEOPLE },
    args: ['run', '{dir}/study.yaml'],
    code: 2,
    err: /data\.persons: .*people\.csv is a folder/,
  },
  {
    name: 'data.persons does not exist: names data.persons',
    files: { 'study.yaml': STUDY },
    args: ['run', '{dir}/study.yaml'],
    code: 2,
    err: /data\.persons: file not found: .*people\.csv/,
  },
  {
    name: 'data.spells is a folder',
    files: studyFiles({ 'sp/x': '' }, STUDY.replace('  persons: people.csv', '  persons: people.csv\n  spells: sp')),
    args: ['run', '{dir}/study.yaml'],
    code: 2,
    err: /data\.spells: .*sp is a folder/,
  },
  {
    name: 'the study file is a folder',
    files: { 'study.yaml/x': '' },
    args: ['run', '{dir}/study.yaml'],
    code: 2,
    err: /the study file: .*study\.yaml is a folder/,
  },
  {
    name: 'a spells outcome without data.spells: names data.spells',
    files: studyFiles({}, STUDY.replace('  - type: binary\n    column: y', '  - type: spells\n    referenceDate: ref\n    horizons: [6]')),
    args: ['run', '{dir}/study.yaml'],
    code: 2,
    err: /data\.spells/,
    check: (r) => expect(r.stderr).not.toMatch(/TypeError|undefined/),
  },
  {
    name: 'an arm label missing: reported in the arm column, never __treated',
    files: studyFiles(
      { 'people.csv': PEOPLE.replace(/^(p3,1,[^,]*,[^,]*),[AB],/m, '$1,,') },
      STUDY.replace('treatment: t', 'arms: { column: arm, control: none }'),
    ),
    args: ['run', '{dir}/study.yaml'],
    code: 2,
    err: /arm column `arm` is empty in 1 row\(s\) \(spreadsheet lines 5\)/,
    check: (r) => expect(r.stderr).not.toMatch(/__treated/),
  },
  {
    name: 'arms whose control label is the only label: the message names the arm column, never __treated',
    files: studyFiles({ 'people.csv': PEOPLE.replace(/,[AB],/g, ',none,') }, STUDY.replace('treatment: t', 'arms: { column: arm, control: none }')),
    args: ['run', '{dir}/study.yaml'],
    code: 2,
    check: (r) => expect(r.stderr).not.toMatch(/__treated/),
  },
  {
    name: 'sensitivity: evalue with a survival headline is noted, not dropped silently',
    files: studyFiles(
      {},
      STUDY.replace('  - type: binary\n    column: y', '  - type: survival\n    time: time\n    event: event\n    times: [5, 10]\n    se: independent').replace(
        'output: out',
        'output: out\nsensitivity: { evalue: true }',
      ),
    ),
    args: ['run', '{dir}/study.yaml'],
    code: 0,
    err: /note: The E-value .*survival/,
    check: (r) => expect(JSON.parse(read(join(r.dir, 'out', 'results.json'))).sensitivity.notes.join(' ')).toMatch(/E-value/),
  },
];

describe('corpus: outputs, files and arguments', () => {
  for (const c of [...estimateCases, ...manifestCases, ...argumentCases, ...sensitivityCases, ...initCases, ...synthCases, ...runCases])
    it(c.name, () => runCase(c), 30_000);
});

describe('corpus: reruns replace only what counterfact wrote', () => {
  it('estimate --pairs twice: the second run replaces its own file', async () => {
    const r = await runCase({ name: 'first', files: { 'data.csv': GOOD_CSV }, args: estimateArgs('data.csv', ['--pairs', '{dir}/pairs.csv']), code: 0 });
    const again = await runCli({ args: estimateArgs('data.csv', ['--pairs', `${r.dir}/pairs.csv`]).map((a) => a.replace('{dir}', r.dir)) });
    expect(again.code).toBe(0);
  });

  it('estimate --pairs after the user edited the file: refused', async () => {
    const r = await runCase({ name: 'first', files: { 'data.csv': GOOD_CSV }, args: estimateArgs('data.csv', ['--pairs', '{dir}/pairs.csv']), code: 0 });
    writeFileSync(join(r.dir, 'pairs.csv'), 'edited by hand\n');
    const again = await runCli({ args: estimateArgs('data.csv', ['--pairs', `${r.dir}/pairs.csv`]).map((a) => a.replace('{dir}', r.dir)) });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/counterfact did not write it, or it was changed since/);
    expect(read(join(r.dir, 'pairs.csv'))).toBe('edited by hand\n');
  });

  it('a second --pairs file keeps the first in the manifest', async () => {
    const r = await runCase({ name: 'first', files: { 'data.csv': GOOD_CSV }, args: estimateArgs('data.csv', ['--pairs', '{dir}/a.csv']), code: 0 });
    expect((await runCli({ args: estimateArgs('data.csv', ['--pairs', `${r.dir}/b.csv`]).map((a) => a.replace('{dir}', r.dir)) })).code).toBe(0);
    expect(Object.keys(JSON.parse(read(join(r.dir, MANIFEST_NAME))).files).sort()).toEqual(['a.csv', 'b.csv']);
    expect(existsSync(join(r.dir, 'a.csv'))).toBe(true);
  });

  it('run twice into the same folder: the second replaces its own set', async () => {
    const r = await runCase({ name: 'first', files: studyFiles(), args: ['run', '{dir}/study.yaml'], code: 0 });
    const second = await runCli({ args: ['run', `${r.dir}/study.yaml`] });
    expect(second.code).toBe(0);
    noTemporaries(join(r.dir, 'out'));
    expect(existsSync(join(r.dir, 'out', LOCK_NAME))).toBe(false);
  });

  it('run after the user edited results.json: refused, the edit kept', async () => {
    const r = await runCase({ name: 'first', files: studyFiles(), args: ['run', '{dir}/study.yaml'], code: 0 });
    const p = join(r.dir, 'out', 'results.json');
    writeFileSync(p, '{"edited": true}\n');
    const again = await runCli({ args: ['run', `${r.dir}/study.yaml`] });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/results\.json .*changed since/);
    expect(read(p)).toBe('{"edited": true}\n');
  });

  it('a file touched since it was written (same size, new time) counts as changed', async () => {
    const r = await runCase({ name: 'first', files: studyFiles(), args: ['run', '{dir}/study.yaml'], code: 0 });
    const p = join(r.dir, 'out', 'balance.csv');
    const t = statSync(p).mtime;
    utimesSync(p, t, new Date(t.getTime() + 5000));
    expect((await runCli({ args: ['run', `${r.dir}/study.yaml`] })).code).toBe(2);
  });

  it('run without --matches after a run with it: the old matches.csv goes, so the folder is one set', async () => {
    const r = await runCase({ name: 'first', files: studyFiles(), args: ['run', '{dir}/study.yaml', '--matches'], code: 0 });
    expect(existsSync(join(r.dir, 'out', 'matches.csv'))).toBe(true);
    expect((await runCli({ args: ['run', `${r.dir}/study.yaml`] })).code).toBe(0);
    expect(existsSync(join(r.dir, 'out', 'matches.csv'))).toBe(false);
    expect(Object.keys(JSON.parse(read(join(r.dir, 'out', MANIFEST_NAME))).files).sort()).toEqual([...SET].sort());
  });

  it('init twice: the second refuses (init never replaces a file)', async () => {
    const r = await runCase({ name: 'first', args: ['init', '{dir}/ex'], code: 0 });
    const again = await runCli({ args: ['init', `${r.dir}/ex`] });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/refusing to replace the existing file/);
  });

  it('synth twice: the second replaces its own files', async () => {
    const r = await runCase({ name: 'first', args: ['synth', '--rows', '50', '--out', '{dir}/reg.csv'], code: 0 });
    expect((await runCli({ args: ['synth', '--rows', '60', '--out', `${r.dir}/reg.csv`] })).code).toBe(0);
    expect(read(join(r.dir, 'reg.csv')).trim().split('\n')).toHaveLength(61);
  });
});

describe('corpus: a run leaves the complete new set or the complete old one', () => {
  async function firstRun() {
    const r = await runCase({ name: 'first', files: studyFiles(), args: ['run', '{dir}/study.yaml'], code: 0 });
    const out = join(r.dir, 'out');
    const before = Object.fromEntries(SET.map((n) => [n, read(join(out, n))]));
    // The second run must differ, so that a mixed set would show.
    writeFileSync(join(r.dir, 'study.yaml'), STUDY.replace('title: corpus', 'title: second run'));
    return { r, out, before };
  }

  it('a failure after two of four files were written: the old set is intact, nothing half-written', async () => {
    const { r, out, before } = await firstRun();
    outputTestHooks.failAfterStagedFiles = 2;
    const failed = await runCli({ args: ['run', `${r.dir}/study.yaml`] });
    expect(failed.code).toBe(1);
    for (const n of SET) expect(read(join(out, n)), n).toBe(before[n]);
    noTemporaries(out);
    expect(existsSync(join(out, LOCK_NAME))).toBe(false);
  });

  it('a failure between the renames: the old set is put back', async () => {
    const { r, out, before } = await firstRun();
    outputTestHooks.failAfterRenames = 2;
    const failed = await runCli({ args: ['run', `${r.dir}/study.yaml`] });
    expect(failed.code).toBe(1);
    for (const n of SET) expect(read(join(out, n)), n).toBe(before[n]);
    noTemporaries(out);
    // The manifest still vouches for the old files: the next run goes through.
    outputTestHooks.failAfterRenames = null;
    expect((await runCli({ args: ['run', `${r.dir}/study.yaml`] })).code).toBe(0);
    expect(read(join(out, 'results.json'))).toMatch(/second run/);
    expect(read(join(out, 'report.html'))).toMatch(/second run/);
  });

  it('a first run that fails part-way leaves no output file at all', async () => {
    outputTestHooks.failAfterStagedFiles = 3;
    const failed = await runCli({ files: studyFiles(), args: ['run', '{dir}/study.yaml'] });
    expect(failed.code).toBe(1);
    const out = join(failed.dir, 'out');
    expect(readdirSync(out)).toEqual([]);
  });

  it('a second run while the first holds the lock is refused (exit 2), naming the lock', async () => {
    const r = await runCase({ name: 'first', files: studyFiles(), args: ['run', '{dir}/study.yaml'], code: 0 });
    const out = join(r.dir, 'out');
    writeFileSync(join(out, LOCK_NAME), JSON.stringify({ pid: process.pid, command: 'run' }));
    const second = await runCli({ args: ['run', `${r.dir}/study.yaml`] });
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/another counterfact run .* is writing to .*out.*delete the lock file/);
    // The lock is the other run's: left in place.
    expect(existsSync(join(out, LOCK_NAME))).toBe(true);
  });

  it('two runs started together into one folder: one writes, the other is refused', async () => {
    const r = await runCli({ files: studyFiles(), args: ['--version'] });
    mkdirSync(join(r.dir, 'out'), { recursive: true });
    const [a, b] = await Promise.all([runCli({ args: ['run', `${r.dir}/study.yaml`] }), runCli({ args: ['run', `${r.dir}/study.yaml`] })]);
    expect([a.code, b.code].sort()).toEqual([0, 2]);
    expect((a.code === 2 ? a : b).stderr).toMatch(/is writing to/);
    for (const n of SET) expect(existsSync(join(r.dir, 'out', n))).toBe(true);
  });
});
