import { Link } from 'react-router';
import { EmptyState } from '../components/EmptyState';

export default function NotFoundPage() {
  return (
    <EmptyState title="There is nothing here.">
      <Link to="/projects">Go to your projects</Link>
    </EmptyState>
  );
}
