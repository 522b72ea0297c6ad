import type { Problem } from '../../common/bridge.js';

/** Shows a failure as what failed, the likely cause and what to do; findings in a table. */
export function ProblemView({ problem, onDismiss }: { problem: Problem; onDismiss?: () => void }) {
  return (
    <div className="problem" role="alert" data-code={problem.code}>
      <p className="problem-what">{problem.what} failed.</p>
      <p className="problem-cause">{problem.cause}</p>
      <p className="problem-action">
        <strong>What to do: </strong>
        {problem.action}
      </p>
      {problem.findings && problem.findings.length > 0 && (
        <table className="findings" aria-label="Validator findings">
          <thead>
            <tr>
              <th>Severity</th>
              <th>Code</th>
              <th>Message</th>
              <th>Where</th>
            </tr>
          </thead>
          <tbody>
            {problem.findings.map((finding, index) => (
              <tr key={index} className={`severity-${finding.severity}`}>
                <td>{finding.severity}</td>
                <td>
                  <code>{finding.code}</code>
                </td>
                <td>{finding.message}</td>
                <td>{finding.pointer ? <code>{finding.pointer}</code> : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {onDismiss && (
        <button type="button" className="link" onClick={onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  );
}
