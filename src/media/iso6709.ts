// ISO 6709 point strings as cameras and phones write them in the MP4/MOV `location` tag, e.g.
// "+32.3500+106.8300/", "+32.3500+106.8300+045.200/", "+3221.00+10649.80/", "+322106+1064948CRSWGS_84/".
// Pure: no I/O.

export interface Iso6709Point {
  lat: number;
  lon: number;
  alt?: number | undefined;
}

const POINT = /^([+-])(\d+(?:\.\d*)?)([+-])(\d+(?:\.\d*)?)(?:([+-])(\d+(?:\.\d*)?))?(?:CRS[A-Za-z0-9_]*)?\/?$/;

/** Parses an ISO 6709 point; undefined when the text is not one or is out of range. */
export function parseIso6709(text: string): Iso6709Point | undefined {
  const m = POINT.exec(text.trim());
  if (!m) return undefined;
  const lat = angle(m[1] as string, m[2] as string, 2);
  const lon = angle(m[3] as string, m[4] as string, 3);
  if (lat === undefined || lon === undefined) return undefined;
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return undefined;
  const point: Iso6709Point = { lat, lon };
  if (m[5] && m[6]) point.alt = (m[5] === '-' ? -1 : 1) * Number(m[6]);
  return point;
}

// The number of integer digits says the notation: D, DM or DMS (degrees have 2 digits for
// latitude, 3 for longitude).
function angle(sign: string, body: string, degDigits: number): number | undefined {
  const [intPart = '', frac = ''] = body.split('.');
  const fraction = frac ? Number(`0.${frac}`) : 0;
  let value: number;
  if (intPart.length === degDigits) {
    value = Number(intPart) + fraction;
  } else if (intPart.length === degDigits + 2) {
    const min = Number(intPart.slice(degDigits)) + fraction;
    if (min >= 60) return undefined;
    value = Number(intPart.slice(0, degDigits)) + min / 60;
  } else if (intPart.length === degDigits + 4) {
    const min = Number(intPart.slice(degDigits, degDigits + 2));
    const sec = Number(intPart.slice(degDigits + 2)) + fraction;
    if (min >= 60 || sec >= 60) return undefined;
    value = Number(intPart.slice(0, degDigits)) + min / 60 + sec / 3600;
  } else {
    return undefined;
  }
  return (sign === '-' ? -1 : 1) * value;
}

/** Formats decimal degrees as "+DD.DDDD+DDD.DDDD/" (4 decimals ≈ 11 m), altitude in metres if given. */
export function formatIso6709(point: Iso6709Point, decimals = 4): string {
  if (
    !Number.isFinite(point.lat) ||
    !Number.isFinite(point.lon) ||
    Math.abs(point.lat) > 90 ||
    Math.abs(point.lon) > 180
  ) {
    throw new RangeError(`not a valid point: ${point.lat},${point.lon}`);
  }
  const alt = point.alt !== undefined && Number.isFinite(point.alt) ? signed(point.alt, 1, 3) : '';
  return `${signed(point.lat, 2, decimals)}${signed(point.lon, 3, decimals)}${alt}/`;
}

function signed(v: number, intDigits: number, decimals: number): string {
  const fixed = Math.abs(v).toFixed(decimals);
  const [i = '0', f] = fixed.split('.');
  const sign = v < 0 && Number(fixed) !== 0 ? '-' : '+';
  return `${sign}${i.padStart(intDigits, '0')}${f ? `.${f}` : ''}`;
}
