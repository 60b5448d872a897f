import Stack from '@mui/material/Stack';
import { Section } from '@/components/ui/section';
import { TaskProgress } from '@/features/tasks/components/task-progress';
import { TasksList } from '@/features/tasks/components/tasks-list';
import { UploadPanel } from '@/features/upload/components/upload-panel';

export function HomeRoute() {
  return (
    <Stack spacing={3}>
      <Section title="Upload files" subtitle="Files are validated, profiled and ingested into the datasource you name." id="upload">
        <UploadPanel renderAccepted={(taskId) => <TaskProgress taskId={taskId} />} />
      </Section>
      <Section title="Tasks" subtitle="Newest first; refreshes every second while something is running." id="tasks">
        <TasksList />
      </Section>
    </Stack>
  );
}
