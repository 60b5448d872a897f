import { useParams } from 'react-router';
import { TaskDetail } from '@/features/tasks/components/task-detail';

export function TaskRoute() {
  const { taskId = '' } = useParams();
  return <TaskDetail key={taskId} taskId={taskId} />;
}
