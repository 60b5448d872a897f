import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Typography from '@mui/material/Typography';
import { Link } from '@/components/ui/link';
import { paths } from '@/config/paths';
import type { Task } from '@/lib/api/types';

type Warning = NonNullable<Task['warnings']>[number];

const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);

/** What did not stop the task but deserves a look, e.g. the same file appended twice. */
export function TaskWarnings({ warnings }: { warnings: Task['warnings'] }) {
  if (!warnings?.length) return null;
  return (
    <>
      {warnings.map((warning: Warning, i) => {
        const details = (warning.details ?? {}) as Record<string, unknown>;
        const earlier = text(details.earlier_task_id);
        const hint = text(details.hint);
        return (
          <Alert key={`${warning.code}-${i}`} severity="warning" data-testid="task-warning" data-code={warning.code}>
            <AlertTitle>{warning.message}</AlertTitle>
            {earlier && (
              <Typography variant="body2">
                Earlier upload: <Link to={paths.task.href(earlier)}>{earlier}</Link>
              </Typography>
            )}
            {hint && (
              <Typography variant="body2">
                <strong>Hint:</strong> {hint}
              </Typography>
            )}
            <Typography variant="caption" color="text.secondary">
              Warning code: <code>{warning.code}</code>
            </Typography>
          </Alert>
        );
      })}
    </>
  );
}
