import { useParams } from 'react-router';
import { DatasourceDetail } from '@/features/datasources/components/datasource-detail';

export function DatasourceRoute() {
  const { name = '' } = useParams();
  return <DatasourceDetail key={name} name={name} />;
}
