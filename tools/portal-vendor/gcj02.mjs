// GCJ-02, the datum Chinese web maps publish in, and WGS 84: the published forward formula (WGS 84 → GCJ-02) and its
// inverse by fixed-point iteration. Used by vendor.mjs on the district boundaries, and by the console's tests.
const a = 6378245.0;
const ee = 0.00669342162296594323;

function offsetLat(x, y) {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
  r += (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3;
  r += (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3;
  return r;
}

function offsetLon(x, y) {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
  r += (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3;
  r += (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3;
  return r;
}

/** WGS 84 → GCJ-02. */
export function wgsToGcj(lon, lat) {
  const radLat = lat / 180 * Math.PI;
  const magic = 1 - ee * Math.sin(radLat) ** 2;
  const sqrtMagic = Math.sqrt(magic);
  const dLat = offsetLat(lon - 105, lat - 35) * 180 / ((a * (1 - ee)) / (magic * sqrtMagic) * Math.PI);
  const dLon = offsetLon(lon - 105, lat - 35) * 180 / (a / sqrtMagic * Math.cos(radLat) * Math.PI);
  return [lon + dLon, lat + dLat];
}

/** GCJ-02 → WGS 84: the WGS 84 point whose GCJ-02 image is the given point. */
export function gcjToWgs(lon, lat) {
  let [x, y] = [lon, lat];
  for (let i = 0; i < 20; i++) {
    const [gx, gy] = wgsToGcj(x, y);
    const [dx, dy] = [lon - gx, lat - gy];
    x += dx;
    y += dy;
    if (Math.abs(dx) < 1e-9 && Math.abs(dy) < 1e-9) break;
  }
  return [x, y];
}
