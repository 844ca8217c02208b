// A Backstage backend as a team assembles one for this project, from the
// pinned packages in ../package-lock.json: the catalog (with the
// scaffolder's entity model), the scaffolder, the Kubernetes backend,
// TeraSky's kubernetes-ingestor (templates from the XRDs it reads on the
// cluster, catalog entities for the XRs and claims), the terasky-utils
// scaffolder actions and the crossplane-resources backend. make e2e runs it
// against the e2e's API server (test/e2e/backstage_test.go writes its
// app-config: PostgreSQL, the cluster and its ServiceAccount token).
//
// One thing is played: publish:github:pull-request (./publish.cjs) pushes
// the pull request's commit to the e2e's git server and merges it, as a
// reviewer would on GitHub, because no GitHub is reachable here.
'use strict';

const { createBackend } = require('@backstage/backend-defaults');

const backend = createBackend();
backend.add(require('@backstage/plugin-catalog-backend'));
backend.add(require('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'));
backend.add(require('@backstage/plugin-scaffolder-backend'));
backend.add(require('@backstage/plugin-kubernetes-backend'));
backend.add(require('@terasky/backstage-plugin-kubernetes-ingestor'));
backend.add(require('@terasky/backstage-plugin-scaffolder-backend-module-terasky-utils'));
backend.add(require('@terasky/backstage-plugin-crossplane-resources-backend'));
backend.add(require('./publish.cjs'));
backend.start();
