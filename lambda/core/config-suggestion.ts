/**
 * "Did you mean ...?" for option names: a misspelled option (`ignorip`) would otherwise be an unknown option that
 * fail2ban, and cloudjail, skip without a word, leaving the admin's own addresses bannable.
 */

/**
 * The known name closest to `name` when it is close enough to be a misspelling of it, else undefined. Close
 * enough: at most 1 edit for names of up to 4 letters, 2 up to 9, 3 beyond (an edit inserts, deletes or replaces
 * one character, or swaps two neighbours). Ties go to the name listed first.
 */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  const wanted = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(wanted, candidate.toLowerCase());
    if (distance === 0) return candidate;
    if (distance <= allowedEdits(Math.max(wanted.length, candidate.length)) && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** `; did you mean "x"?` when a known name is close to `name`, else an empty string. */
export function didYouMean(name: string, known: Iterable<string>): string {
  const suggestion = closestName(name, known);
  return suggestion === undefined ? "" : `; did you mean "${suggestion}"?`;
}

function allowedEdits(length: number): number {
  if (length <= 4) return 1;
  return length <= 9 ? 2 : 3;
}

/** Optimal string alignment distance: Levenshtein plus the swap of two adjacent characters. */
function editDistance(a: string, b: string): number {
  // Three rows of the dynamic-programming table are enough: the swap looks two rows back.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, before[j - 2] + 1);
      }
      current.push(value);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length];
}
