/** One entry for every long job: the CLI calls it in-process, the job runner calls it for the extension. */
import type { JobContext } from './jobContext';
import type { JobRequest, JobResult } from './jobProtocol';
import { runDemoJob } from './demoJob';
import { runDiffJob } from './diffJob';
import { runMergeJob } from './mergeJob';
import { runProbeJob } from './probeJob';
import { runSpectralJob } from './spectralJob';
import { runVariantsJob } from './variantsJob';

export function runJob(request: JobRequest, context: JobContext): Promise<JobResult> {
  switch (request.kind) {
    case 'diff':
      return runDiffJob(request, context);
    case 'spectral':
      return runSpectralJob(request, context);
    case 'merge':
      return runMergeJob(request, context);
    case 'probe':
      return runProbeJob(request, context);
    case 'variants':
      return runVariantsJob(request, context);
    case 'demo':
      return runDemoJob(request, context);
  }
}
