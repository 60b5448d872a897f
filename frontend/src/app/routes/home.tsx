import Alert from '@mui/material/Alert';
import Stack from '@mui/material/Stack';
import { Section } from '@/components/ui/section';
import { useDatasources } from '@/features/datasources/api/get-datasources';
import { TaskProgress } from '@/features/tasks/components/task-progress';
import { TasksList } from '@/features/tasks/components/tasks-list';
import { UploadPanel } from '@/features/upload/components/upload-panel';
import { canWrite, useWhoAmI } from '@/lib/auth/whoami';

/** The upload panel for a token that may write; otherwise what is needed to upload. */
function UploadSection() {
  const { data: me, isPending } = useWhoAmI();
  // Existing datasources: suggested as names, and each name marked new or existing.
  const datasources = useDatasources();
  if (me && canWrite(me.scope)) {
    return (
      <UploadPanel existing={datasources.data?.datasources} renderAccepted={(taskId) => <TaskProgress taskId={taskId} />} />
    );
  }
  if (isPending) return null;
  return (
    <Alert severity="info" data-testid="upload-not-allowed">
      {me
        ? `Your token “${me.name ?? 'unnamed'}” has the ${me.scope} scope: you can follow tasks and datasources, but uploading needs a token with the write scope.`
        : 'Sign in with an API token that has the write scope to upload files.'}
    </Alert>
  );
}

export function HomeRoute() {
  return (
    <Stack spacing={3}>
      <Section title="Upload files" subtitle="Files are validated, profiled and ingested into the datasource you name." id="upload">
        <UploadSection />
      </Section>
      <Section title="Tasks" subtitle="Newest first; refreshes every second while something is running." id="tasks">
        <TasksList />
      </Section>
    </Stack>
  );
}
