// publish:github:pull-request, played for the e2e: the action the Backstage
// templates end with (example/backstage/template.yaml, and the templates the
// kubernetes-ingestor generates with publishPhase.target github), with the
// same inputs and outputs, against the e2e's git server instead of GitHub.
// It opens the "pull request" as a branch with one commit holding the
// workspace under targetPath, then merges it into the target branch as a
// reviewer would, and pushes both. Config:
//   e2e.publish.repos.<owner>.<repo>: the git URL or path that plays it
'use strict';

const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { coreServices, createBackendModule } = require('@backstage/backend-plugin-api');
const { createTemplateAction, scaffolderActionsExtensionPoint } = require('@backstage/plugin-scaffolder-node');

function git(cwd, ...args) {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'Backstage', GIT_AUTHOR_EMAIL: 'backstage@example.com', GIT_COMMITTER_NAME: 'Backstage', GIT_COMMITTER_EMAIL: 'backstage@example.com' },
  }).trim();
}

function publishAction(config) {
  return createTemplateAction({
    id: 'publish:github:pull-request',
    description: 'Played for the e2e: opens the pull request on the e2e git server and merges it.',
    schema: {
      input: {
        repoUrl: (z) => z.string(),
        branchName: (z) => z.string(),
        title: (z) => z.string(),
        description: (z) => z.string().optional(),
        targetBranchName: (z) => z.string().optional(),
        targetPath: (z) => z.string().optional(),
        sourcePath: (z) => z.string().optional(),
      },
      output: {
        remoteUrl: (z) => z.string(),
        pullRequestNumber: (z) => z.number(),
        targetBranchName: (z) => z.string(),
        commitHash: (z) => z.string(),
      },
    },
    async handler(ctx) {
      const { repoUrl, branchName, title, description, targetPath, sourcePath } = ctx.input;
      const url = new URL(`https://${repoUrl}`);
      const repo = `${url.searchParams.get('owner')}/${url.searchParams.get('repo')}`;
      const remote = config.getOptionalString(`e2e.publish.repos.${repo.replace('/', '.')}`);
      if (!remote) throw new Error(`no e2e git remote for ${repo} (repoUrl ${repoUrl})`);
      const target = ctx.input.targetBranchName || 'main';
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'publish-'));
      try {
        git(dir, 'clone', '-q', '--branch', target, remote, '.');
        git(dir, 'checkout', '-q', '-b', branchName);
        const from = sourcePath ? path.join(ctx.workspacePath, sourcePath) : ctx.workspacePath;
        const to = path.join(dir, targetPath || '.');
        fs.mkdirSync(to, { recursive: true });
        fs.cpSync(from, to, { recursive: true });
        git(dir, 'add', '-A');
        git(dir, 'commit', '-q', '-m', `${title}\n\n${description || ''}`);
        git(dir, 'push', '-q', 'origin', branchName);
        git(dir, 'checkout', '-q', target);
        git(dir, 'merge', '-q', '--no-ff', '-m', `Merge pull request from ${branchName}`, branchName);
        git(dir, 'push', '-q', 'origin', target);
        const commit = git(dir, 'rev-parse', 'HEAD');
        ctx.logger.info(`merged ${branchName} into ${target} of ${repo} at ${commit} (${targetPath || '.'})`);
        ctx.output('remoteUrl', `https://github.com/${repo}/pull/1`);
        ctx.output('pullRequestNumber', 1);
        ctx.output('targetBranchName', target);
        ctx.output('commitHash', commit);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  });
}

module.exports = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'e2e-publish',
  register(env) {
    env.registerInit({
      deps: { scaffolder: scaffolderActionsExtensionPoint, config: coreServices.rootConfig },
      async init({ scaffolder, config }) {
        scaffolder.addActions(publishAction(config));
      },
    });
  },
});
