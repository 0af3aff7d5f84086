/** What an account may do. TRADER trades; SUPPORT also reads every account; ADMIN also manages accounts and products. */
export enum Role {
  TRADER = 'TRADER',
  SUPPORT = 'SUPPORT',
  ADMIN = 'ADMIN',
}
