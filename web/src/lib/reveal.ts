/**
 * Brings the order ticket into view when it is off screen (narrow windows stack it below the
 * table or the ladder), after the DOM has caught up with the choice just made.
 */
export function revealTicket(): void {
  requestAnimationFrame(() => {
    const ticket = document.querySelector('[data-testid="order-ticket"]');
    if (!ticket) return;
    const r = ticket.getBoundingClientRect();
    if (r.top < 0 || r.top > window.innerHeight - 80) ticket.scrollIntoView({ block: 'start', behavior: 'smooth' });
  });
}
