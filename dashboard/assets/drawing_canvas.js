// The drawing canvas of "Draw your own" (Inside a network): a square the student draws on with a
// mouse, pen or finger, white ink on black. Its ink is read back as a GRID x GRID grid (each cell
// the mean brightness of its block of the canvas) and sent to Python as the component's "pixels"
// state: every SEND_MS while a stroke goes on, so the prediction follows the pen, and when it ends.
// Everything is in this file: no library, no network.
const SIDE = 280;  // the canvas's own pixels; the screen may show it smaller or larger
const SEND_MS = 150;

function readGrid(context, grid) {
  const block = SIDE / grid;
  const rgba = context.getImageData(0, 0, SIDE, SIDE).data;
  const cells = new Array(grid * grid).fill(0);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      cells[Math.floor(y / block) * grid + Math.floor(x / block)] += rgba[(y * SIDE + x) * 4];
    }
  }
  return cells.map((sum) => Math.round(sum / (block * block)));
}

function paintGrid(context, grid, pixels) {
  // A drawing kept by Python (the page was left and reopened): shown again, cell by cell.
  const block = SIDE / grid;
  pixels.forEach((value, index) => {
    context.fillStyle = `rgb(${value}, ${value}, ${value})`;
    context.fillRect((index % grid) * block, Math.floor(index / grid) * block, block, block);
  });
}

export default function (component) {
  const { parentElement, data } = component;
  const canvas = parentElement.querySelector("canvas");
  canvas.cnnviz = component;  // the latest render's functions, read by the listeners below
  if (canvas.dataset.ready) return;
  canvas.dataset.ready = "1";
  const grid = data.grid;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.fillStyle = "black";
  context.fillRect(0, 0, SIDE, SIDE);
  if (Array.isArray(data.pixels) && data.pixels.length === grid * grid) paintGrid(context, grid, data.pixels);
  context.strokeStyle = "white";
  context.lineCap = "round";
  context.lineJoin = "round";
  context.lineWidth = SIDE / grid * 2.2;  // about MNIST's pen: two to three cells wide
  let drawing = false;
  let last = null;
  let sentAt = 0;
  const send = () => {
    sentAt = performance.now();
    canvas.cnnviz.setStateValue("pixels", readGrid(context, grid));
  };
  const point = (event) => {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * SIDE / box.width, (event.clientY - box.top) * SIDE / box.height];
  };
  canvas.addEventListener("pointerdown", (event) => {
    drawing = true;
    last = point(event);
    canvas.setPointerCapture(event.pointerId);
    context.beginPath();
    context.arc(last[0], last[1], context.lineWidth / 2, 0, 2 * Math.PI);
    context.fillStyle = "white";
    context.fill();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    const next = point(event);
    context.beginPath();
    context.moveTo(last[0], last[1]);
    context.lineTo(next[0], next[1]);
    context.stroke();
    last = next;
    if (performance.now() - sentAt >= SEND_MS) send();
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    send();
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  parentElement.querySelector("button").addEventListener("click", () => {
    context.fillStyle = "black";
    context.fillRect(0, 0, SIDE, SIDE);
    send();
  });
}
