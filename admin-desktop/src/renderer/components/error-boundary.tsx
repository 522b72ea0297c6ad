import { Component, type ErrorInfo, type ReactNode } from 'react';

interface State {
  error: Error | null;
  attempt: number;
}

/**
 * Catches rendering errors so a bug in one view never leaves a blank window. "Show the view
 * again" re-mounts the children without reloading the page (reloads count as navigation,
 * which the app denies).
 */
export class ErrorBoundary extends Component<{ children: ReactNode; area: string }, State> {
  override state: State = { error: null, attempt: 0 };

  static getDerivedStateFromError(error: Error): Partial<State> {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error(`Vitrine admin: the ${this.props.area} view failed`, error, info.componentStack);
  }

  override render() {
    const { error, attempt } = this.state;
    if (error) {
      return (
        <div className="problem boundary" role="alert">
          <p className="problem-what">Showing the {this.props.area} failed.</p>
          <p className="problem-cause">The app hit an error it did not expect: {error.message}</p>
          <p className="problem-action">
            <strong>What to do: </strong>Show the view again. If it fails again, restart the app and
            report the message.
          </p>
          <button
            type="button"
            onClick={() => this.setState({ error: null, attempt: attempt + 1 })}
          >
            Show the view again
          </button>
        </div>
      );
    }
    return <div key={attempt}>{this.props.children}</div>;
  }
}
